"""The "Inside the model" page's parts: what it looks at, why the model answered, what its layers see,
and what every version answers; and the link the Draw, Upload and Evaluation pages give to it.

The Draw and Upload pages hand over the 28x28 inputs of what they read in the session (``offer_inside_ui``);
the Evaluation page names a test image in the link's query (``?test=1234&model=mnist-cnn``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mnist_app.config import Paths
from mnist_app.explaining import heatmaps
from mnist_app.explaining.explain import Explainer, load_explainer
from mnist_app.models import versions
from mnist_app.training.data import to_unit_range
from mnist_app.training.evaluate import mistakes
from ui.charts import ACCENT
from ui.navigation import page_file
from ui.resources import evaluation_of, mnist_split_ui
from ui.session import remembered
from ui.wording import a_digit, ordinal, percent

PAGE = page_file("inside")
DRAWING, PHOTO, MNIST = "Your drawing", "Your photo", "An MNIST test image"
HANDED_OVER = {DRAWING: "inside_drawing", PHOTO: "inside_photo"}  # session keys of what Draw and Upload read
FROM = {"drawing": DRAWING, "photo": PHOTO}  # the link's ?from=...
SALIENCY_SIZE = 168  # pixels per map: four in a row on a laptop, two on a phone
GRID_WIDTH = 440  # a grid of feature maps, at most: two side by side in a laptop's page (1366 pixels wide)
FILTERS_WIDTH = 640  # the first layer's filters, 16 to a row
TEMPLATE_SIZE = 112  # each of the dense network's templates: five in a row on a laptop, three on a phone
TEST_IMAGES = 10_000
EMPTY_CELL = "#3A3D4A"  # a probability of 0 in the every-model chart: a grey that shows on a dark or light page


@dataclass(frozen=True)
class Subject:
    """The 28x28 input the page looks at, and what is known about it."""

    image: np.ndarray  # (28, 28) float32 in [0, 1]
    caption: str
    label: int | None = None  # the true digit, for an MNIST image
    listed: float | None = None  # the confidence the Evaluation page lists it at, for a test image the model gets wrong


def offer_inside_ui(source: str, inputs: list[tuple[str, np.ndarray]]) -> None:
    """Hand the digits just read (a caption and the 28x28 input of each) to the Inside page, and link to it.
    ``source``: "drawing" or "photo"."""
    st.session_state[HANDED_OVER[FROM[source]]] = inputs
    st.page_link(PAGE, label="Why? Look inside the model", icon=":material/neurology:", query_params={"from": source})


def read_digits(reading) -> list[tuple[str, np.ndarray]]:
    """A caption and the 28x28 input of each digit of a recognize.Reading, for ``offer_inside_ui``."""
    return [(f"the {ordinal(number)} digit, read as {digit.digit}", digit.model_input)
            for number, digit in enumerate(reading.digits, start=1)]


def inside_link_ui(test_index: int, version_id: str) -> None:
    """A link that opens one MNIST test image on the Inside page, as read by ``version_id``."""
    st.page_link(PAGE, label="Why? Look inside the model", icon=":material/neurology:",
                 query_params={"test": str(test_index), "model": version_id})


def arrival_ui() -> None:
    """Apply a link's query (?from=drawing, ?test=1234&model=...) to the page's choices, once: the query is
    then cleared, so that the visitor's own choices are not overridden at the next run."""
    query = st.query_params.to_dict()
    if not query:
        return
    st.query_params.clear()
    if query.get("from") in FROM:
        st.session_state.inside_source = FROM[query["from"]]
    if "test" in query:
        try:
            index = int(query["test"])
            if not 0 <= index < TEST_IMAGES:
                raise ValueError
        except ValueError:
            st.error(f"The link names test image {query['test']!r}; MNIST's test images are numbered 0 to {TEST_IMAGES - 1}.",
                     icon=":material/link_off:")
            return
        st.session_state.inside_source, st.session_state.inside_index = MNIST, index
    if "model" in query:
        st.session_state.inside_model = query["model"]


def source_choice_ui() -> str:
    """The chooser of what to look at: the visitor's drawing or photo (once there is one), or MNIST."""
    options = [source for source, key in HANDED_OVER.items() if st.session_state.get(key)] + [MNIST]
    if len(options) == 1:  # nothing handed over yet: a choice of one is no choice
        return options[0]
    source = remembered("inside_source", options[0])
    if source not in options:  # a link's ?from=photo in a session without a photo
        st.session_state.pop("inside_source", None)
        source = options[0]
    return st.segmented_control("Look at", options, default=source, key="inside_source") or options[0]


def subject_ui(source: str, version: versions.Version) -> Subject:
    """The input looked at: which digit of the visitor's number, or which MNIST test image."""
    if source == MNIST:
        return _test_image_ui(version)
    inputs = st.session_state[HANDED_OVER[source]]
    if len(inputs) == 1:
        return Subject(inputs[0][1], inputs[0][0])
    captions = [caption for caption, _ in inputs]
    which = st.selectbox("Which digit", range(len(inputs)), format_func=captions.__getitem__, key=f"inside_which_{source}",
                         width=300)
    return Subject(inputs[which][1], captions[which])


def _test_image_ui(version: versions.Version) -> Subject:
    images, labels = mnist_split_ui("test")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        index = st.number_input("Test image", min_value=0, max_value=len(images) - 1, value=remembered("inside_index", 0),
                                key="inside_index", width=150)
        st.button("Random", icon=":material/shuffle:", on_click=_pick, args=(random.randrange(len(images)),))
        evaluation = evaluation_of(version.path)
        wrong = mistakes(evaluation) if len(images) == evaluation["count"] else []  # its indices are another test set's
        if wrong:
            st.button("A random mistake", icon=":material/error:", on_click=_pick, args=(random.choice(wrong)["index"],))
    listed = next((mistake["confidence"] for mistake in wrong if mistake["index"] == index), None)
    return Subject(to_unit_range(images[index]), f"test image #{index}, labelled {labels[index]}", int(labels[index]), listed)


def _pick(index: int) -> None:
    st.session_state.inside_index = index


def usable_versions() -> list[versions.Version]:
    """Every version that has a model: the shipped ones first, then the runs, newest first."""
    return [version for version in versions.list_versions(Paths.from_env()) if version.usable]


def version_choice_ui(available: list[versions.Version], active_id: str) -> versions.Version:
    """The chooser of the model to look inside: the active one until the visitor picks another."""
    by_id = {version.id: version for version in available}
    chosen = remembered("inside_model", active_id)
    if chosen not in by_id:  # deleted since, or a link's id that is not there
        st.session_state.pop("inside_model", None)
        chosen = active_id
    ids = sorted(by_id, key=lambda id_: id_ != active_id)
    chosen = st.selectbox("Model", ids, index=ids.index(chosen), key="inside_model", width=260,
                          format_func=lambda id_: version_name(id_, active_id))
    return by_id[chosen]


def version_name(version_id: str, active_id: str) -> str:
    """A version as the page names it: "mnist-cnn (active)", "mnist-dense"."""
    return f"{version_id} (active)" if version_id == active_id else version_id


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def explainer_for(model_dir: Path) -> Explainer:
    return load_explainer(model_dir)


def why_ui(explainer: Explainer, subject: Subject, probabilities: np.ndarray) -> None:
    """The input, and the saliency maps of the digit read, of another (the runner-up, unless the visitor picks
    one), and of the one against the other."""
    best, second = (int(digit) for digit in np.argsort(-probabilities)[:2])
    verdict = f"Read as **{best}** ({percent(probabilities[best])}), then {second} ({percent(probabilities[second])})"
    if subject.label is not None:
        verdict += f": right, it is labelled {subject.label}." if best == subject.label else f": **wrong**, it is labelled {subject.label}."
    st.markdown(verdict)
    if subject.listed is not None and percent(subject.listed) != percent(probabilities[best]):
        st.caption(f"The Evaluation page lists this image at {percent(subject.listed)}: the model's plain score for the 28x28 test "
                   "image, which is what the test accuracy counts. Here, as on the Draw and Upload pages, the scores are "
                   "calibrated on writers held out of training and averaged over the image turned slightly either way.")
    # No key: another digit read, or another runner-up, makes it a new control that starts at the runner-up.
    other = st.pills("Against", [digit for digit in range(10) if digit != best], default=second)
    other = second if other is None else int(other)
    maps = explainer.contrast(subject.image, best, other)
    scale = heatmaps.robust_scale(maps)
    pictures = [heatmaps.input_picture(subject.image, SALIENCY_SIZE)]
    pictures += [heatmaps.saliency_picture(subject.image, attribution, scale, SALIENCY_SIZE) for attribution in maps]
    st.image(pictures, caption=[subject.caption, f"towards {best}", f"towards {other}", f"{best} rather than {other}"],
             width=SALIENCY_SIZE, output_format="PNG")
    st.caption(f"Red ink pushes the model towards the digit named under the map, blue ink away from it; the brighter, "
               f"the more. In the last map red is what makes it {a_digit(best)} rather than {a_digit(other)}, blue what "
               f"looks like {a_digit(other)}. (Integrated gradients: only ink can count, so a missing stroke shows only "
               "in the ink around it.)")


def layers_ui(explainer: Explainer, subject: Subject) -> None:
    """Every convolution's feature maps and the first layer's filters; for a dense network, its templates."""
    if explainer.members > 1:
        st.caption(f"This model is an ensemble of {explainer.members} networks trained alike, which answer together "
                   "(the mean of their probabilities; the maps above are the mean of theirs). Below are the layers of the first of them.")
    if not explainer.has_convolutions:
        _templates_ui(explainer, subject)
        return
    layer_maps = explainer.feature_maps(subject.image)
    for block in sorted({layer.block for layer in layer_maps}):
        in_block = [layer for layer in layer_maps if layer.block == block]
        # Side by side on a laptop; Streamlit stacks the columns, in order, on a phone, where the browser
        # shrinks a grid to the screen's width. (The page does not measure its width: the rerun that would
        # cost can cut the first run short while the browser fetches its pictures, which then fail to load.)
        for place, layer in zip(st.columns(len(in_block), gap="small"), in_block):
            channels, height, map_width = layer.maps.shape
            blank = f"; {layer.blank} blank for this input" if layer.blank else ""
            # Four rows (64 small maps in eight columns would be as tall as wide).
            grid = heatmaps.feature_grid(layer.maps, layer.order, columns=max(8, channels // 4), width=GRID_WIDTH)
            # At its own width, or the screen's if less: an image's caption would stretch it to the caption's width.
            place.image(grid, output_format="PNG")
            place.caption(f"{layer.name}: {channels} maps of {height}x{map_width}, strongest first{blank}")
    st.caption("Bright is a strong response (one scale per layer). The first block's maps answer strokes and edges; "
               "the second block's, smaller, answer parts of digits (a loop, a corner), each over a wider area.")
    st.markdown("**The first convolution's filters**, in the order of its maps above")
    filters = explainer.first_filters()[layer_maps[0].order]
    filter_grid = heatmaps.signed_grid(filters, columns=16, width=FILTERS_WIDTH)
    st.image(filter_grid, output_format="PNG")
    st.caption("Each 3x3 filter is slid over the input: its map is bright where the ink matches its red squares "
               "and not its blue ones.")


def _templates_ui(explainer: Explainer, subject: Subject) -> None:
    which = st.segmented_control("Weights", ["For this input", "For any input"], default=remembered("inside_templates", "For this input"),
                                 key="inside_templates") or "For this input"
    templates = explainer.templates(subject.image if which == "For this input" else None)
    st.image([heatmaps.signed_grid(template[None], columns=1, width=TEMPLATE_SIZE) for template in templates],
             caption=[str(digit) for digit in range(10)], width=TEMPLATE_SIZE + 4, output_format="PNG")
    if which == "For this input":
        st.caption("This network has no convolutions: once it is known which of its hidden units the input turns on, "
                   "each digit's score is the input's pixels times its template (red adds, blue takes away), plus a constant.")
    else:
        st.caption("The weights from the pixels to each digit through all the hidden units at once: what the network "
                   "would weigh if every unit were on. For a given input only some are (see \"For this input\").")


def every_model_ui(image: np.ndarray, available: list[versions.Version], active_id: str) -> None:
    """What every usable version reads in this input, a row of probabilities each."""
    rows, problems = [], []
    for version in available:
        try:
            rows.append((version.id, explainer_for(version.path).probabilities(image)))
        except Exception as error:  # noqa: BLE001  (one unreadable model must not hide the others)
            problems.append(f"{version.id} ({type(error).__name__})")
    names = [f"{version_name(id_, active_id)} → {p.argmax()} " for id_, p in rows]
    values = np.array([p for _, p in rows])
    figure = go.Figure(go.Heatmap(
        z=values, x=[str(digit) for digit in range(10)], y=names, colorscale=[[0, EMPTY_CELL], [1, ACCENT]], zmin=0, zmax=1,
        showscale=False, text=[[f"{p:.0%}" if p >= 0.005 else "" for p in row] for row in values], texttemplate="%{text}",
        textfont=dict(color="white"),
        hovertemplate="%{y}: %{x} at %{z:.1%}<extra></extra>", xgap=2, ygap=2,
    ))
    figure.update_layout(height=60 + 34 * len(rows), margin=dict(l=10, r=10, t=30, b=10),
                         xaxis=dict(side="top", type="category"), yaxis=dict(autorange="reversed", type="category"))
    st.plotly_chart(figure, key="inside_every_model", config={"displayModeBar": False})
    if problems:
        st.warning(f"Could not be loaded: {', '.join(problems)}.", icon=":material/warning:")
