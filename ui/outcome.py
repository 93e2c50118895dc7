"""How a training run ended, shown prominently to the browser sessions that started or watched it.

The outcome belongs to its run: a later visitor finds the run in the list of versions (ui/versions_list.py),
with its state and its test accuracy against the active model's, not as a banner over the page. A session
records the runs it saw training (``watch``) and sees their outcome here until it dismisses it.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.config import Paths
from mnist_app.jobs.trainer import JobStatus
from mnist_app.models import versions
from ui.resources import active_model
from ui.versions_list import activate_button_ui, comparison, is_worse

WATCHED_KEY = "training_watched_runs"  # session_state: the ids of the runs this session started or watched


def watch(run_id: str) -> None:
    """Remember that this session started or watched ``run_id``: it will be shown how the run ended."""
    st.session_state.setdefault(WATCHED_KEY, set()).add(run_id)


def outcome_ui(status: JobStatus, can_activate: bool) -> None:
    """How the run ended, the new model beside the active one and (``can_activate``) the choice to switch,
    for a session that watched the run; nothing for any other."""
    if status.run_id not in st.session_state.get(WATCHED_KEY, set()):
        return
    with st.container(border=True):
        if status.card is None:
            if status.stage == "failed":
                st.error(f"Training run {status.run_id} failed: {status.error}", icon=":material/error:")
            else:
                why = status.error or "stopped before its first epoch ended; nothing was saved"
                st.warning(f"Training run {status.run_id} ended early: {why}.", icon=":material/stop_circle:")
        else:
            _model_outcome_ui(status, can_activate)
        if st.button("Dismiss", key="training_dismiss_outcome", icon=":material/close:"):
            st.session_state[WATCHED_KEY].discard(status.run_id)
            st.rerun()


def _model_outcome_ui(status: JobStatus, can_activate: bool) -> None:
    card, active = status.card, active_model()
    if status.stage == "stopped":
        st.info(ended_in_words(status), icon=":material/stop_circle:")
    else:
        st.success(ended_in_words(status), icon=":material/check_circle:")
    new, current = card["test"], active.card["test"]
    columns = st.columns([1, 1, 1, 1.3])
    columns[0].metric(f"New: {status.run_id}", f"{new['accuracy']:.2%}", f"{(new['accuracy'] - current['accuracy']) * 100:+.2f} points")
    columns[1].metric(f"Active: {active.version.id}", f"{current['accuracy']:.2%}")
    columns[2].metric("Test errors (new / active)", f"{new['errors']} / {current['errors']}")
    _corrections_ui(card)
    with columns[3]:
        if active.version.id == status.run_id:
            st.info("The new model is active.", icon=":material/published_with_changes:")
            return
        version = versions.find_version(Paths.from_env(), status.run_id)
        worse = version.usable and is_worse(version, active)
        if worse:
            st.markdown(f"It reads worse than **{active.version.id}**, which stays active.")
        if can_activate and version.usable:
            activate_button_ui(version, active, f"Make {status.run_id} active", key="training_activate_new")
    if worse:
        st.caption(comparison(version, active))


def _corrections_ui(card: dict) -> None:
    """How many of the corrections kept out of training each model reads right, under the test figures."""
    figures = card.get("corrections") or {}
    held_out, right = figures.get("held_out"), figures.get("new_right")
    if not held_out or right is None:
        return
    active = "" if figures.get("active_right") is None else f", active {figures['active_version']} {figures['active_right']} of {held_out}"
    st.metric("Held-out corrections read right", f"new {right} of {held_out}{active}",
              help=f"Users' corrections kept out of training to measure it; the run learned from {figures['trained_on']:,} others. "
                   "The active model is the one serving when the run started.")


def ended_in_words(status: JobStatus) -> str:
    """"Training run X was stopped after 47 s, during epoch 2 of 3; it keeps epoch 1, the only finished one." """
    card, planned = status.card, status.config.epochs
    finished, kept = card["epochs_run"], card.get("best_epoch", card["epochs_run"])
    took = duration(status.elapsed_s())
    keeps = (f"it keeps epoch {kept}, the only finished one" if finished == 1
             else f"it keeps epoch {kept} of the {finished} finished, the best on validation")
    if status.stage == "stopped":
        during = card.get("stopped_in_epoch") or finished + 1
        return f"Training run {status.run_id} was stopped after {took}, during epoch {during} of {planned}; {keeps}."
    if finished < planned:
        return f"Training run {status.run_id} finished after {took}: early stopping ended it after {finished} of {planned} epochs; {keeps}."
    return f"Training run {status.run_id} finished after {took}: {finished} epochs; {keeps}."


def duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(max(seconds, 0))), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
