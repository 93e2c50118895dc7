"""The Training page's list of versions, and making one active: at once when it reads the test set at least as
well as the active model, after a confirmation that says what changes when it reads it worse.

One click on "Make active" switches the model of every visitor, on every server. A better model may be
switched to directly; a worse one only through a secondary button whose dialog names the figures and who
is affected, so that the safe choice (keeping the active model) is the obvious one.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.config import Paths
from mnist_app.models import versions
from ui.model_card import epochs_kept
from ui.resources import ActiveModel, active_model
from ui.session import rerun_saying
from ui.wording import local_time

PENDING_KEY = "training_pending_activation"  # session_state: the version id whose confirmation dialog is open


def versions_ui(can_change: bool) -> None:
    """Every version with its state, date, test accuracy against the active model's and epochs; with
    ``can_change``, any usable one can be made active (a worse one after a confirmation)."""
    paths = Paths.from_env()
    active = active_model()
    listed = versions.list_versions(paths)
    st.dataframe([_row(version, active) for version in listed], hide_index=True, column_config={
        # Narrow enough that a phone shows the first four columns whole, the state among them.
        "active": st.column_config.CheckboxColumn(width=50),
        "version": st.column_config.TextColumn(width=115),
        "test accuracy": st.column_config.TextColumn("accuracy", width=75),
        "state": st.column_config.TextColumn(width=85),
        "vs active": st.column_config.TextColumn(help="Test accuracy against the active model's, in percentage points"),
        "epochs": st.column_config.TextColumn(help="Finished epochs, and the one whose weights were kept (the best on validation)"),
        "held-out corrections": st.column_config.TextColumn(
            help="Of the corrections users sent that a run kept out of training, how many the new model read right, "
                 "and how many the model active when it started"),
    })
    if not can_change:
        return
    usable = {version.id: version for version in listed if version.usable}
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    ids = list(usable)
    chosen = left.selectbox("Version", ids, index=ids.index(active.version.id) if active.version.id in ids else 0, key="training_version")
    with right:
        activate_button_ui(usable[chosen], active, "Make active", key="training_make_active", primary=False)
    if chosen != active.version.id:
        st.caption(comparison(usable[chosen], active))
    confirmation_ui(can_change)


def _row(version: versions.Version, active: ActiveModel) -> dict:
    card = version.card or {}
    test = card.get("test", {})
    running = version.state == "running"
    accuracy = test.get("accuracy")
    return {  # what tells the versions apart first: on a phone the later columns need a scroll
        "active": version.id == active.version.id,
        "version": version.id,
        "test accuracy": f"{accuracy:.2%}" if accuracy is not None else ("training…" if running else ""),
        "state": _state(version),
        "vs active": f"{(accuracy - active.card['test']['accuracy']) * 100:+.2f}" if accuracy is not None else "",
        "test errors": f"{test['errors']:,}" if "errors" in test else "",
        "epochs": "{}, kept {}".format(*epochs_kept(card)) if "epochs_run" in card else "",
        "held-out corrections": held_out_read(card),
        "model": card.get("name", "").upper(),
        "created": local_time(card.get("created") or version.started),
    }


def held_out_read(card: dict) -> str:
    """"6 / 8 (mnist-cnn 0)": of the held-out corrections, how many the run's model read right, and the model
    active when it started; "" for a run that did not learn from corrections or held none out."""
    figures = card.get("corrections") or {}
    if not figures.get("held_out") or figures.get("new_right") is None:
        return ""
    before = "" if figures.get("active_right") is None else f" ({figures['active_version']} {figures['active_right']})"
    return f"{figures['new_right']} / {figures['held_out']}{before}"


def _state(version: versions.Version) -> str:
    if version.shipped:
        return "shipped" if version.usable else version.state
    if version.usable:
        return "stopped early" if (version.card or {}).get("stopped_by_user") else "finished"
    return "training…" if version.state == "running" else version.state


def is_worse(version: versions.Version, active: ActiveModel) -> bool:
    """Whether ``version`` reads fewer test digits right than the active model."""
    return version.card["test"]["accuracy"] < active.card["test"]["accuracy"]


def comparison(version: versions.Version, active: ActiveModel) -> str:
    """"20261201-101500 reads 98.33% of the test digits right, 1.29 points less than the active mnist-cnn (99.62%):
    167 test errors against 38." """
    new, current = version.card["test"], active.card["test"]
    points = (new["accuracy"] - current["accuracy"]) * 100
    than = "as many as" if abs(points) < 0.005 else f"{abs(points):.2f} points {'less' if points < 0 else 'more'} than"
    return (f"{version.id} reads {new['accuracy']:.2%} of the 10,000 test digits right, {than} the active "
            f"{active.version.id} ({current['accuracy']:.2%}): {new['errors']:,} test errors against {current['errors']:,}.")


def activate_button_ui(version: versions.Version, active: ActiveModel, label: str, key: str, primary: bool = True) -> None:
    """A button that makes ``version`` active: at once (``primary`` styled) when it is not worse than the active
    model; when it is, a secondary one that opens the confirmation (see ``confirmation_ui``)."""
    if version.id == active.version.id:
        st.button(label, key=key, disabled=True)  # the active one
    elif is_worse(version, active):
        if st.button(f"{label}…", key=key, help="It reads the test digits worse than the active model: asks first"):
            st.session_state[PENDING_KEY] = version.id
    elif st.button(label, key=key, type="primary" if primary else "secondary"):
        activate(version.id)


def confirmation_ui(can_change: bool) -> None:
    """The confirmation dialog of a pending activation, once per page run (after the buttons that open it)."""
    pending = st.session_state.get(PENDING_KEY)
    if not can_change or pending is None:
        return
    try:
        version = versions.find_version(Paths.from_env(), pending)
    except ValueError:
        version = None
    if version is None or not version.usable:
        st.session_state.pop(PENDING_KEY, None)
        return
    _confirm_dialog(version)


def _forget_pending() -> None:
    st.session_state.pop(PENDING_KEY, None)


@st.dialog("Switch every visitor to a worse model?", on_dismiss=_forget_pending)
def _confirm_dialog(version: versions.Version) -> None:
    active = active_model()
    st.markdown(comparison(version, active))
    st.markdown(f"Every visitor of this app, on every server, gets **{version.id}** at their next click instead of "
                f"**{active.version.id}**, until someone makes another version active.")
    keep, switch = st.columns(2)
    if keep.button(f"Keep {active.version.id}", type="primary", key="training_keep_active", width="stretch"):
        _forget_pending()
        st.rerun()
    if switch.button(f"Make {version.id} active", key="training_confirm_activate", width="stretch"):
        _forget_pending()
        activate(version.id)


def activate(version_id: str) -> None:
    try:
        versions.activate(Paths.from_env(), version_id)
    except (OSError, ValueError) as error:
        st.error(f"Could not activate {version_id}: {error}", icon=":material/error:")
        return
    rerun_saying(f"{version_id} is now the active model for every visitor.")
