"""Training: retrain the model (a background job with live progress), how the active model learned
(loss and accuracy per epoch, its card), and the versions, any of which can be made active."""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import streamlit as st

from mnist_app.models.model import describe_layers
from ui.access import access_ui
from ui.curves import curves_chart_ui
from ui.model_card import epochs_kept, model_card_ui
from ui.resources import active_model
from ui.retrain import retrain_ui
from ui.versions_list import versions_ui

st.title("Training")
# Start, stop and make active: for every visitor, for those with the password, or for nobody.
can_change = access_ui("watch a run's progress, but not start or stop one or change the active model")
retrain_ui(can_change)

model = active_model()
card = model.card
st.subheader(f"How the active model, {model.version.id}, was trained")
summary = st.columns(5)
summary[0].metric("Test accuracy", f"{card['test']['accuracy']:.2%}")
summary[1].metric("Test loss", f"{card['test']['loss']:.4f}")
summary[2].metric("Epochs", f"{card['epochs_run']}", f"kept: {epochs_kept(card)[1]}", delta_color="off", delta_arrow="off",
                  help="Epochs trained, and the one whose weights were kept: the best on the validation images "
                       "(for an ensemble, all its networks' epochs, and the one each kept)")
summary[3].metric("Training time", f"{card['train_seconds'] / 60:.1f} min")
summary[4].metric("Parameters", f"{card['parameters']:,}")

members = card.get("members") or [card]  # an ensemble's members each learned on their own: a tab of curves each
places = st.tabs([f"Member {n} (seed {member['seed']})" for n, member in enumerate(members, 1)]) if len(members) > 1 else [st.container()]
for number, (member, place) in enumerate(zip(members, places, strict=True), start=1):
    with place:
        left, right = st.columns(2)
        with left:
            curves_chart_ui(member["history"], "loss", "Loss (log scale)", key=f"training_loss_{number}")
        with right:
            curves_chart_ui(member["history"], "accuracy", "Accuracy", key=f"training_accuracy_{number}")
st.caption("Training accuracy is measured on distorted images (rotated, scaled, sheared, thicker or thinner), "
           "so it sits below the validation accuracy on the plain ones.")

st.markdown("**Model card**")
model_card_ui(model.version)
with st.expander("Architecture, layer by layer"):
    st.dataframe(describe_layers(model.predictor.model), hide_index=True)
with st.expander("Full card (JSON)"):
    st.json(card, expanded=False)

st.subheader("Versions")
versions_ui(can_change)
