"""The Training page's retrain panel and version list (app_pages/training.py uses it).

The run trains in a worker process of its own (mnist_app.jobs, mnist_app.worker); this module only starts
it, stops it and shows its status, read from the run's directory by a fragment that reruns every second
while the run lasts. A run started by another server on the same models folder shows here the same way.

Who may change the server (start, stop, make a version active) is decided once per run by ``access_ui``
(RETRAINING and RETRAIN_PASSWORD, see mnist_app.config.RetrainAccess); the controls that change it are
drawn only for visitors it lets in, so a click on them can only come from such a visitor. Everyone else
still sees the versions and a running job's progress.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from mnist_app import versions
from mnist_app.config import Paths, RetrainAccess
from mnist_app.jobs import RETRAIN_EPOCHS, JobStatus, TrainerBusy, default_config
from ui.common import active_model, trainer
from ui.curves import curves_figure

POLL_SECONDS = 1.0
SECRET_KEY = "retrain_password"  # the key of .streamlit/secrets.toml that may hold the password
UNLOCKED_KEY = "training_unlocked"  # set in a browser session once its visitor gave the password
STAGES = {
    "preparing": "Preparing the data (the pen-drawn digits are drawn like users draw them)",
    "training": "Training",
    "evaluating": "Measuring the new model on the 10,000 test images",
    "saving": "Saving the new version",
}


def access_ui() -> bool:
    """Whether this visitor may change the server; otherwise says why, or asks for the password."""
    try:
        access = retrain_access()
    except ValueError as error:  # a setting the operator got wrong: fail closed and say which
        st.error(f"Retraining is switched off: {error}.", icon=":material/lock:")
        return False
    if not access.enabled:
        st.info("Retraining is switched off on this server.", icon=":material/lock:")
        return False
    if access.password is None or st.session_state.get(UNLOCKED_KEY):
        return True
    return _unlock_ui(access)


def retrain_access() -> RetrainAccess:
    """The server's settings (RETRAINING, RETRAIN_PASSWORD), with the password from Streamlit's secrets
    (key retrain_password) when the environment sets none."""
    access = RetrainAccess.from_env()
    if access.password is None and (secret := _secret_password()):
        access = dataclasses.replace(access, password=secret)
    return access


def _secret_password() -> str | None:
    # Without a secrets file, st.secrets raises on any read (Streamlit 1.67 draws nothing on the page then).
    # It raises the same error, with another id, for a file it cannot parse: that one may hold the password,
    # so it must not leave retraining open.
    try:
        value = st.secrets.get(SECRET_KEY)
    except FileNotFoundError as error:  # streamlit.errors.StreamlitSecretNotFoundError
        if getattr(error, "error_id", None) == "no-secrets-found":
            return None
        raise ValueError(f"the secrets file could not be read ({error})") from None
    return str(value) if value not in (None, "") else None


def _unlock_ui(access: RetrainAccess) -> bool:
    """A password form; True once the right password is given, for the rest of this browser session."""
    slot = st.empty()
    with slot.form("training_unlock_form", clear_on_submit=True):  # the password is not kept in the field
        st.markdown("**Retraining on this server needs a password.** Without it you can watch a run's progress, "
                    "but not start or stop one or change the active model.")
        attempt = st.text_input("Password", type="password", key="training_password")
        submitted = st.form_submit_button("Unlock", icon=":material/lock_open:", key="training_unlock")
    if not submitted:
        return False
    if not access.accepts(attempt):
        st.error("Wrong password: retraining stays locked.", icon=":material/lock:")
        return False
    st.session_state[UNLOCKED_KEY] = True
    slot.empty()
    return True


def retrain_ui(can_change: bool) -> None:
    """Settings and a start button, or the running job's progress, or the last job's outcome.

    Without ``can_change`` (see ``access_ui``) a running job is shown read-only and nothing can be started.
    """
    status = trainer().status()
    if status is not None and status.running:
        _live_job_ui(running=True, can_stop=can_change)
        return
    if status is not None:
        _outcome_ui(status, can_activate=can_change)
    if can_change:
        _settings_ui()


def _settings_ui() -> None:
    paths = Paths.from_env()
    defaults = default_config(paths)
    with st.form("training_settings", border=True):
        st.markdown("**Retrain the model**")
        left, middle, right = st.columns(3)
        architecture = left.segmented_control("Architecture", ["cnn", "dense"], default="cnn", format_func=str.upper, key="training_architecture")
        epochs = middle.number_input("Epochs", min_value=1, max_value=60, value=RETRAIN_EPOCHS, key="training_epochs")
        batch_size = right.selectbox("Batch size", [32, 64, 128, 256], index=[32, 64, 128, 256].index(defaults.batch_size), key="training_batch_size")
        augment = left.toggle("Augmentation (rotate, scale, shear, stroke weight)", value=True, key="training_augment")
        if_better = middle.toggle("Make it active if it beats the active model", value=False, key="training_if_better")
        fetched = "" if defaults.pen_path is None or Path(defaults.pen_path).is_file() else " (downloaded from UCI when the run starts, once: 1.7 MB)"
        pen = (f"plus the pen-drawn digits of writers {defaults.pen_writers[0]}-{defaults.pen_writers[-1]}{fetched}, drawn "
               f"{defaults.pen_renders} times each in several hands and also with writing conventions (slashed zeros, "
               "crossed sevens...)" if defaults.pen_path else "only (PENDIGITS_PATH=none: no pen-drawn digits)")
        st.caption(f"Trains on MNIST {pen}, and against {defaults.non_digits:,} drawings that are no digit (taps, "
                   f"scribbles, letters), so that it can say \"not a digit\". The defaults repeat the shipped model's data and augmentation in {RETRAIN_EPOCHS} "
                   "epochs instead of 40: 6 to 9 minutes on 2 cores (99.35% on the test set), in a process of its own at low priority.")
        if st.form_submit_button("Start training", icon=":material/model_training:", type="primary", key="training_start"):
            config = default_config(paths, model=architecture or "cnn", epochs=int(epochs), batch_size=int(batch_size), augment=augment)
            try:
                trainer().start(config, activate="if_better" if if_better else "never", command="the app's Training page")
            except TrainerBusy as error:
                st.warning(str(error).capitalize(), icon=":material/hourglass_top:")
                return
            st.rerun()


def _live_job_ui(running: bool, can_stop: bool) -> None:
    # Defined on every run, so the polling interval follows the job: every second while it runs, not at all after.
    @st.fragment(run_every=POLL_SECONDS if running else None)
    def live() -> None:
        status = trainer().status()
        if not status.running:
            st.rerun(scope="app")  # the job ended: redraw the page (outcome, version list, sidebar)
        _progress_ui(status, can_stop)

    live()


def _progress_ui(status: JobStatus, can_stop: bool) -> None:
    progress = status.progress
    config = status.config
    st.markdown(f"**Training run {status.run_id}** · {config.model.upper()}, up to {config.epochs} epochs, batch {config.batch_size}")
    if status.stage == "training" and progress is not None:
        text = f"Epoch {progress.epoch} of {progress.epochs} · batch {progress.batch} of {progress.batches}"
        st.progress(progress.fraction, text=text)
    else:
        st.progress(1.0 if status.stage in ("evaluating", "saving") else 0.0, text=STAGES[status.stage])
    remaining = status.remaining_s()
    columns = st.columns(4)
    columns[0].metric("Elapsed", _duration(status.elapsed_s()))
    columns[1].metric("Remaining", _duration(remaining) if remaining is not None else "…")
    if progress is not None and progress.logs:
        columns[2].metric("Loss (this epoch)", f"{progress.logs.get('loss', float('nan')):.4f}")
        columns[3].metric("Accuracy (this epoch)", f"{progress.logs.get('accuracy', float('nan')):.2%}")
    if progress is not None and progress.history:
        left, right = st.columns(2)
        left.plotly_chart(curves_figure(progress.history, "loss", "Loss (log scale)"), key="training_live_loss")
        right.plotly_chart(curves_figure(progress.history, "accuracy", "Accuracy"), key="training_live_accuracy")
    else:
        st.caption("The loss and accuracy curves appear after the first epoch.")
    if can_stop and st.button("Stop", icon=":material/stop_circle:", key="training_stop", help="End after the current batch and keep the best epoch so far"):
        trainer().stop()
        st.toast("Stopping after this batch; the best epoch so far will be saved.")


def _outcome_ui(status: JobStatus, can_activate: bool) -> None:
    """How the last job ended, the new model beside the active one, and (``can_activate``) a button to switch."""
    if status.card is None:
        if status.stage == "failed":
            st.error(f"Training run {status.run_id} failed: {status.error}", icon=":material/error:")
        else:
            why = status.error or "stopped before its first epoch ended; nothing was saved"
            st.warning(f"Training run {status.run_id} ended early: {why}.", icon=":material/stop_circle:")
        return
    active = active_model()
    new, current = status.card["test"], active.card["test"]
    ended = "stopped early, keeping its best epoch" if status.stage == "stopped" else "finished"
    st.success(f"Training run {status.run_id} {ended} in {_duration(status.elapsed_s())}.", icon=":material/check_circle:")
    columns = st.columns([1, 1, 1, 1.3])
    columns[0].metric(f"New: {status.run_id}", f"{new['accuracy']:.2%}", f"{(new['accuracy'] - current['accuracy']) * 100:+.2f} points")
    columns[1].metric(f"Active: {active.version.id}", f"{current['accuracy']:.2%}")
    columns[2].metric("Test errors (new / active)", f"{new['errors']} / {current['errors']}")
    with columns[3]:
        if active.version.id == status.run_id:
            st.info("The new model is active.", icon=":material/published_with_changes:")
        elif can_activate and st.button(f"Make {status.run_id} active", type="primary", key="training_activate_new"):
            _activate(status.run_id)


def versions_ui(can_change: bool) -> None:
    """Every version with its date, architecture and test accuracy; with ``can_change``, any usable one can
    be made active."""
    paths = Paths.from_env()
    active_id = active_model().version.id
    listed = versions.list_versions(paths)
    rows = [
        {
            "active": version.id == active_id,
            "version": version.id,
            "kind": "shipped" if version.shipped else "run",
            "state": version.state,
            "created": (version.card or {}).get("created", "")[:16].replace("T", " "),
            "model": (version.card or {}).get("name", "").upper(),
            "test accuracy": (version.card or {}).get("test", {}).get("accuracy"),
            "epochs": (version.card or {}).get("epochs_run"),
        }
        for version in listed
    ]
    st.dataframe(rows, hide_index=True, column_config={
        "active": st.column_config.CheckboxColumn(width="small"),
        "test accuracy": st.column_config.NumberColumn(format="percent"),
    })
    if not can_change:
        return
    usable = [version.id for version in listed if version.usable]
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Version", usable, index=usable.index(active_id) if active_id in usable else 0, key="training_version")
    if right.button("Make active", disabled=chosen == active_id, key="training_make_active"):
        _activate(chosen)


def _activate(version_id: str) -> None:
    try:
        versions.activate(Paths.from_env(), version_id)
    except (OSError, ValueError) as error:
        st.error(f"Could not activate {version_id}: {error}", icon=":material/error:")
        return
    st.toast(f"{version_id} is now the active model for every visitor.")
    st.rerun()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
