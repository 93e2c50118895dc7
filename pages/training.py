"""Training: how the active model learned (loss and accuracy per epoch) and its card."""

import plotly.graph_objects as go
import streamlit as st

from mnist_app.model import describe_layers
from pages.common import ACCENT, active_card, active_model_dir, active_predictor

st.title("How the model was trained")
card = active_card()
history = card["history"]
epochs = [row["epoch"] for row in history]

summary = st.columns(5)
summary[0].metric("Test accuracy", f"{card['test']['accuracy']:.2%}")
summary[1].metric("Test loss", f"{card['test']['loss']:.4f}")
summary[2].metric("Epochs", f"{card['epochs_run']}", f"best: {card.get('best_epoch', card['epochs_run'])}", delta_color="off", delta_arrow="off")
summary[3].metric("Training time", f"{card['train_seconds'] / 60:.1f} min")
summary[4].metric("Parameters", f"{card['parameters']:,}")


def curves_figure(metric: str, title: str, percent: bool) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(x=epochs, y=[row[metric] for row in history], name="training", mode="lines+markers", line_color="#7F8C9A"),
            go.Scatter(x=epochs, y=[row[f"val_{metric}"] for row in history], name="validation", mode="lines+markers", line_color=ACCENT),
        ]
    )
    figure.update_layout(
        title=title, height=340, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="epoch", dtick=max(1, len(epochs) // 10)),
        yaxis_tickformat=".1%" if percent else None, legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    if metric == "loss":
        figure.update_yaxes(type="log")
    return figure


left, right = st.columns(2)
left.plotly_chart(curves_figure("loss", "Loss (log scale)", percent=False), key="training_loss")
right.plotly_chart(curves_figure("accuracy", "Accuracy", percent=True), key="training_accuracy")
st.caption("Training accuracy is measured on distorted images (rotated, scaled, sheared, thicker or thinner), "
           "so it sits below the validation accuracy on the plain ones.")

st.subheader("Model card")
config = card["config"]
st.markdown(
    f"""
| | |
| --- | --- |
| directory | `{active_model_dir().name}` |
| architecture | {card['name']} ({card['parameters']:,} parameters) |
| trained | {card['created']} in {card['train_seconds'] / 60:.1f} min, {card['epochs_run']} epochs |
| data | {card['train_images']:,} training and {card['validation_images']:,} validation images |
| augmentation | {'on' if config['augment'] else 'off'} |
| pen-drawn digits | {config.get('pen_path') or 'none'} |
| command | `{card['command']}` |
| versions | TensorFlow {card['versions']['tensorflow']}, Keras {card['versions']['keras']} |
"""
)
with st.expander("Architecture, layer by layer"):
    st.dataframe(describe_layers(active_predictor().model), hide_index=True)
with st.expander("Full card (JSON)"):
    st.json(card, expanded=False)
st.info("Retraining from this page comes with the next release; meanwhile use `python -m mnist_app train` (see the README).", icon=":material/model_training:")
