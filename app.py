"""Entry point of the Streamlit app: `streamlit run app.py`.

For now a placeholder page that shows the shipped model's card; the drawing, upload, dataset,
training and evaluation pages come next.
"""

import streamlit as st

from mnist_app.config import Paths
from mnist_app.store import read_card

st.set_page_config(page_title="Handwritten digits", page_icon="✍️", layout="wide")
st.title("Handwritten digit recognition")
st.write("A CNN trained on MNIST. The drawing and upload pages are on their way; until then, the model that ships:")

card = read_card(Paths().default_model_dir)
columns = st.columns(4)
columns[0].metric("Test accuracy", f"{card['test']['accuracy']:.2%}")
columns[1].metric("Parameters", f"{card['parameters']:,}")
columns[2].metric("Epochs", card["epochs_run"])
columns[3].metric("Training time", f"{card['train_seconds'] / 60:.0f} min")
st.caption(f"Trained {card['created']} with `{card['command']}`")
