"""Dataset: browse MNIST's training and test images, the class balance and each digit's mean image."""

import plotly.graph_objects as go
import streamlit as st

from mnist_app.data import sample_indices
from ui.common import ACCENT, average_digits, digit_counts, mnist_split_ui, pixels_ui

GRID_COLUMNS, GRID_ROWS = 12, 4

st.title("The MNIST data set")
st.session_state.setdefault("dataset_seed", 0)

controls = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
split = controls[0].segmented_control("Set", ["train", "test"], default="test", key="dataset_split") or "test"
choice = controls[1].selectbox("Digit", ["all", *range(10)], key="dataset_digit")
if controls[2].button("Shuffle", icon=":material/shuffle:", key="dataset_shuffle"):
    st.session_state.dataset_seed += 1
images, labels = mnist_split_ui(split)
digit = None if choice == "all" else int(choice)
controls[3].caption(f"{len(images):,} {split} images; showing {GRID_COLUMNS * GRID_ROWS} at random, with their index and label.")

indices = sample_indices(labels, digit, GRID_COLUMNS * GRID_ROWS, seed=st.session_state.dataset_seed)
for row in range(0, len(indices), GRID_COLUMNS):
    for column, index in zip(st.columns(GRID_COLUMNS), indices[row : row + GRID_COLUMNS]):
        with column:
            pixels_ui(images[index], size=84, caption=f"#{index} · {labels[index]}")

st.subheader("How many of each digit")
train_counts, test_counts = digit_counts("train"), digit_counts("test")
figure = go.Figure(
    [
        go.Bar(name="train", x=[str(d) for d in range(10)], y=train_counts, marker_color="#7F8C9A"),
        go.Bar(name="test", x=[str(d) for d in range(10)], y=test_counts, marker_color=ACCENT),
    ]
)
figure.update_layout(barmode="group", height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="digit", yaxis_title="images")
st.plotly_chart(figure, key="dataset_counts")

st.subheader(f"The average {split} image of each digit")
means = average_digits(split)
for column, digit_mean, number in zip(st.columns(10), means, range(10)):
    with column:
        pixels_ui(digit_mean, size=84, caption=str(number))
