"""Dataset: browse MNIST's training and test images, the class balance and each digit's mean image."""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import streamlit as st

from mnist_app.training.data import sample_indices
from ui.charts import counts_figure
from ui.pictures import image_grid_ui
from ui.resources import average_digits, digit_counts, mnist_split_ui

SHOWN = 44  # images in the sample grid: full rows at the usual widths, eleven of four on a phone, four of eleven on a laptop
# Pixels per image in the grids: 76 (82 with the helper's margin) puts four in a row on a phone 360 pixels wide
# or wider (84 would leave three on a 390-pixel one), eleven on a laptop.
GRID_SIZE = 76
PLURALS = ["zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights", "nines"]

st.title("The MNIST data set")
st.session_state.setdefault("dataset_seed", 0)

# A row that wraps rather than columns, which a phone stacks one above the other.
controls = st.container(horizontal=True, vertical_alignment="bottom")
split = controls.segmented_control("Set", ["train", "test"], default="test", key="dataset_split") or "test"
choice = controls.selectbox("Digit", ["all", *range(10)], key="dataset_digit", width=110)
if controls.button("Shuffle", icon=":material/shuffle:", key="dataset_shuffle"):
    st.session_state.dataset_seed += 1
images, labels = mnist_split_ui(split)
digit = None if choice == "all" else int(choice)
train_counts, test_counts = digit_counts("train"), digit_counts("test")
split_counts = train_counts if split == "train" else test_counts
how_many = f"{len(images):,} {split} images" if digit is None else f"{split_counts[digit]:,} {PLURALS[digit]} of {len(images):,} {split} images"
st.caption(f"{how_many}; showing {SHOWN} at random, each with its label and index.")

indices = sample_indices(labels, digit, SHOWN, seed=st.session_state.dataset_seed)
# Short captions ("7 · #1242") fit under the image on one line.
image_grid_ui(images[indices], [f"{labels[index]} · #{index}" for index in indices], size=GRID_SIZE)

st.subheader("How many of each digit")
# No tool bar: on a phone it covered the legend, and the chart has nothing to zoom.
st.plotly_chart(counts_figure(train_counts, test_counts), key="dataset_counts", config={"displayModeBar": False})

st.subheader(f"The average {split} image of each digit")
image_grid_ui(average_digits(split), [str(number) for number in range(10)], size=GRID_SIZE)
