"""The Training page's retrain panel (pages/training.py uses it; the outcome of a run: ui/outcome.py, the
list of versions: ui/versions_list.py).

The run trains in a worker process of its own (mnist_app.jobs.trainer, mnist_app.jobs.worker); this module only starts
it, stops it and shows its status, read from the run's directory by a fragment that reruns every second
while the run lasts. A run started by another server on the same models folder shows here the same way.

Who may change the server (start, stop, make a version active) is decided once per run by
``ui.access.access_ui`` (RETRAINING and RETRAIN_PASSWORD, see mnist_app.config.RetrainAccess); the controls that change it are
drawn only for visitors it lets in, so a click on them can only come from such a visitor. Everyone else
still sees the versions and a running job's progress.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from mnist_app.config import Paths
from mnist_app.database import DatabaseError
from mnist_app.jobs.trainer import RETRAIN_EPOCHS, JobStatus, TrainerBusy, default_config
from mnist_app.training.progress import Preparation
from ui.curves import curves_chart_ui
from ui.model_card import pen_source
from ui.outage import database_away_ui
from ui.outcome import duration, outcome_ui, watch
from ui.resources import trainer

POLL_SECONDS = 1.0
STAGES = {
    "training": "Training",
    "evaluating": "Measuring the new model on the 10,000 test images",
    "saving": "Saving the new version",
}


def retrain_ui(can_change: bool) -> None:
    """Settings and a start button, or the running job's progress, or the outcome of the last job if this
    session started or watched it.

    Without ``can_change`` (see ``access_ui``) a running job is shown read-only and nothing can be started.
    """
    status = trainer().status()
    if status is not None and status.running:
        watch(status.run_id)
        _live_job_ui(running=True, can_stop=can_change)
        return
    if status is not None:
        outcome_ui(status, can_activate=can_change)
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
        augment = left.toggle("Augment", value=True, key="training_augment",
                              help="Rotate, scale and shear every training image a little, and make its strokes thicker or thinner")
        if_better = middle.toggle("Activate if better", value=False, key="training_if_better",
                                  help="When the run ends, make the new model active for every visitor if it reads more test digits right than the active one")
        fetched = "" if defaults.pen_path is None or Path(defaults.pen_path).is_file() else " (downloaded from UCI when the run starts, once: 1.7 MB)"
        pen = (f"plus the pen-drawn digits of {pen_source(dataclasses.asdict(defaults))}{fetched}, in several hands and "
               "also with writing conventions (slashed zeros, crossed sevens...)" if defaults.pen_path or defaults.uji_path
               else "only (PENDIGITS_PATH=none and no UJIPEN_PATH: no pen-drawn digits)")
        taught = (f", plus the corrections visitors sent that were accepted (each drawn {defaults.correction_renders} times; "
                  "a fifth of them kept out, to measure what it learned)" if defaults.corrections_path else "")
        st.caption(f"Trains on MNIST {pen}{taught}, and against {defaults.non_digits:,} drawings that are no digit (taps, "
                   f"scribbles, letters), so that it can say \"not a digit\". The defaults repeat the shipped model's data and augmentation in {RETRAIN_EPOCHS} "
                   "epochs instead of 24: about 5 minutes on 2 cores, 2 to 3 more the first time while the pen digits are drawn "
                   "(99.32% on the test set), in a process of its own at low priority.")
        if st.form_submit_button("Start training", icon=":material/model_training:", type="primary", key="training_start"):
            config = default_config(paths, model=architecture or "cnn", epochs=int(epochs), batch_size=int(batch_size), augment=augment)
            try:
                started = trainer().start(config, activate="if_better" if if_better else "never", command="the app's Training page")
            except TrainerBusy as error:
                st.warning(str(error).capitalize(), icon=":material/hourglass_top:")
                return
            watch(started.run_id)
            st.rerun()


def _live_job_ui(running: bool, can_stop: bool) -> None:
    # Defined on every run, so the polling interval follows the job: every second while it runs, not at all after.
    @st.fragment(run_every=POLL_SECONDS if running else None)
    def live() -> None:
        try:
            status = trainer().status()
        except DatabaseError as error:  # the lock is in the shared database: keep asking until it is back
            database_away_ui(error)
            return
        if not status.running:
            st.rerun(scope="app")  # the job ended: redraw the page (outcome, version list, sidebar)
        _progress_ui(status, can_stop)

    live()


def _progress_ui(status: JobStatus, can_stop: bool) -> None:
    progress = status.progress
    config = status.config
    title, stop = st.columns([5, 1], vertical_alignment="center")  # Stop beside the title: it stays where it is
    title.markdown(f"**Training run {status.run_id}** · {config.model.upper()}, up to {config.epochs} epochs, batch {config.batch_size}")
    if can_stop and stop.button("Stop", icon=":material/stop_circle:", key="training_stop", help="End after the current batch and keep the best finished epoch"):
        trainer().stop()
        st.toast("Stopping after this batch; the best finished epoch will be saved.")
    if status.stage == "training" and progress is not None:
        text = f"Epoch {progress.epoch} of {progress.epochs} · batch {progress.batch} of {progress.batches}"
        st.progress(progress.fraction, text=text)
    elif status.stage == "preparing":
        _preparation_ui(status.preparation)
    else:
        st.progress(1.0, text=STAGES[status.stage])
    remaining = status.remaining_s()
    columns = st.columns(4)
    columns[0].metric("Elapsed", duration(status.elapsed_s()))
    columns[1].metric("Remaining", duration(remaining) if remaining is not None else "…")
    if progress is not None and progress.logs:
        columns[2].metric("Loss (this epoch)", f"{progress.logs.get('loss', float('nan')):.4f}",
                          help="The running loss on this epoch's training batches so far")
        columns[3].metric("Accuracy (this epoch)", f"{progress.logs.get('accuracy', float('nan')):.2%}",
                          help="The running accuracy on this epoch's training batches so far. They are augmented (rotated, "
                               "scaled, sheared, thicker or thinner), so it sits below the validation accuracy on plain images.")
    if progress is not None and progress.history:
        left, right = st.columns(2)
        with left:
            curves_chart_ui(progress.history, "loss", "Loss (log scale)", key="training_live_loss")
        with right:
            curves_chart_ui(progress.history, "accuracy", "Accuracy", key="training_live_accuracy")
    else:
        st.caption("The loss and accuracy curves appear after the first epoch.")


def _preparation_ui(preparation: Preparation | None) -> None:
    """What the worker prepares, in words, with a bar that moves as it counts (preparation.json)."""
    if preparation is None:
        st.progress(0.0, text="Starting the training process")
    elif preparation.fraction is None:
        st.progress(0.0, text=preparation.step)
    else:
        st.progress(preparation.fraction, text=f"{preparation.step}: {preparation.done:,} of {preparation.total:,}")
