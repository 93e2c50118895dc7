"""Corrections: the digits users said were read wrong, for an operator to accept, relabel or delete before
a retrain learns from the accepted ones; and their export in Keras's MNIST layout.

Reviewing decides what the next model learns, so it is behind the same switch and password as retraining
(RETRAINING, RETRAIN_PASSWORD): a public visitor can send corrections but never choose what is trained on.
"""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

from functools import partial

import streamlit as st

from mnist_app.corrections import STATES, CorrectionsError
from ui.access import access_ui
from ui.corrections import correction_store, exported_npz, review_rows, review_table_key
from ui.session import rerun_saying

ANY = "any"
SHOWN_AT_MOST = 500  # the newest ones that match the filters; the rest are reached by filtering


st.title("Corrections")
st.caption("Digits that visitors said the model read wrong. Accepted ones teach the next retrain (a fifth of "
           "them, marked held out, are kept aside to measure what it learned).")
if not access_ui("read this page's description, but not see, accept, relabel or delete the corrections"):
    st.stop()

store = correction_store()
try:
    counts = store.counts()
    model_versions = store.model_versions()
except CorrectionsError as error:
    st.error(f"The corrections cannot be read: {error}.", icon=":material/database_off:")
    st.stop()

with st.container(horizontal=True):
    st.metric("Waiting for review", f"{counts['new']:,}", width=170)
    st.metric("Accepted", f"{counts['accepted']:,}", width=170)
if not sum(counts.values()):
    st.info("No corrections yet. On the Draw and Upload pages, \"Wrong? It is:\" under a reading sends one.",
            icon=":material/inbox:")
    st.stop()

with st.container(horizontal=True, vertical_alignment="bottom"):
    label = st.selectbox("Label", [ANY, *range(10)], key="corrections_label", width=120)
    state = st.selectbox("State", [ANY, *STATES], key="corrections_state", index=1 if counts["new"] else 0, width=140)
    version = st.selectbox("Model version", [ANY, *model_versions], key="corrections_version", width=220)
shown = store.list(label=None if label == ANY else label, state=None if state == ANY else state,
                   model_version=None if version == ANY else version, limit=SHOWN_AT_MOST)

rows = review_rows(shown)
table = st.dataframe(
    rows, hide_index=True, on_select="rerun", selection_mode="multi-row", key=review_table_key(shown),
    column_config={
        "picture": st.column_config.ImageColumn("picture", width="small"),
        "id": st.column_config.NumberColumn("id", width="small"),
        "label": st.column_config.NumberColumn("label", help="What the visitor said it is", width="small"),
        "sure": st.column_config.NumberColumn("sure", format="percent", help="How sure the model was of what it read", width="small"),
    },
)
chosen = [rows[index]["id"] for index in table.selection.rows]
st.caption(f"{len(shown):,} shown{' (the newest)' if len(shown) == SHOWN_AT_MOST else ''}; select rows to act on them "
           "(the box in the header selects them all).")

with st.container(horizontal=True, vertical_alignment="bottom"):
    accept = st.button(f"Accept {len(chosen)}", icon=":material/check:", type="primary", disabled=not chosen, key="corrections_accept")
    relabel_to = st.selectbox("Relabel as", range(10), key="corrections_relabel_to", width=110, disabled=not chosen)
    relabel = st.button("Relabel", icon=":material/edit:", disabled=not chosen, key="corrections_relabel")
    delete = st.button(f"Delete {len(chosen)}", icon=":material/delete:", disabled=not chosen, key="corrections_delete")
if accept or relabel or delete:
    try:
        if accept:
            done = f"{store.accept(chosen)} accepted: the next retrain learns from them."
        elif relabel:
            done = f"{store.relabel(chosen, int(relabel_to))} relabelled as {relabel_to}."
        else:
            done = f"{store.delete(chosen)} deleted."
    except CorrectionsError as error:
        st.error(f"Nothing was changed: {error}.", icon=":material/database_off:")
    else:
        rerun_saying(done)


if counts["accepted"]:
    trained, held_out = store.export_counts()
    st.download_button(f"Export the {counts['accepted']:,} accepted (.npz, Keras's MNIST layout)", partial(exported_npz, store), file_name="corrections.npz",
                       mime="application/octet-stream", icon=":material/download:", key="corrections_export",
                       help=f"x_train/y_train: the {trained} trained on; x_test/y_test: the {held_out} held out. 28x28 uint8, white on black.")
