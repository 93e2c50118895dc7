"""Draw: a digit (or a number) on a canvas, read every time the pen is lifted."""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import streamlit as st

from mnist_app.reading.recognize import UNCERTAIN_BELOW, recognize
from ui.canvas import drawing_canvas_ui, drawn_strokes
from ui.charts import probabilities_figure
from ui.corrections import correct_digits_ui, correct_ui, reading_keys
from ui.drawing import pen_strokes, strokes_in_box
from ui.inside import offer_inside_ui, read_digits
from ui.pictures import digits_read_ui, pixels_ui
from ui.resources import active_model
from ui.screen import NARROW_BELOW, room_width_ui
from ui.session import remembered
from ui.wording import percent

CANVAS_SIZE = 280  # the digit canvas's side, and the number canvas's height, at most
NUMBER_CANVAS_WIDTH = 840  # room for five or six digits side by side
COMPACT_METRIC_WIDTH = 110  # the room the digit and its certainty take beside the chart, on a phone

MODES = ["One digit", "A number"]
mode = remembered("draw_mode", MODES[0]) or MODES[0]  # read before the title, which names what to draw
st.title("Draw a digit" if mode == MODES[0] else "Draw a number")
model = active_model()
predictor = model.predictor  # loaded before the first stroke, not after it

with st.container(horizontal=True, vertical_alignment="bottom"):
    # No visible label: the two choices say what they are, and a phone needs the room for the answer.
    mode = st.segmented_control("Read", MODES, default=mode, key="draw_mode", label_visibility="collapsed") or MODES[0]
    with st.popover("Pen width", icon=":material/stylus:"):
        pen = st.slider("Pen width", min_value=8, max_value=40, value=remembered("draw_pen", 18), key="draw_pen")
# A digit's canvas sits beside its answer, on a wide screen; a number needs a wide canvas, and a phone has no
# room beside the canvas, so there the answer goes below it, the digit beside a smaller chart, so that both
# show without scrolling. Either canvas is sized to the room it has, measured in the browser (the page's
# width is measured on every page load, so that switching to a number does not resize the canvas under the
# pen): a stroke drawn past the edge of the room would be lost without a sign.
page_width = room_width_ui(key="draw_room_page", fallback=CANVAS_SIZE)
narrow = page_width < NARROW_BELOW
if mode == "A number" or narrow:
    left = right = st.container()
else:
    left, right = st.columns([1, 1.3], gap="large")
with left:
    if mode == "A number":
        width = min(page_width, NUMBER_CANVAS_WIDTH)
    elif narrow:
        width = min(page_width, CANVAS_SIZE)
    else:
        width = min(room_width_ui(key="draw_room_column", fallback=CANVAS_SIZE), CANVAS_SIZE)
    image = drawing_canvas_ui(f"draw_canvas_{mode}", width, CANVAS_SIZE if mode == "A number" else width, pen)

reading = recognize(image, predictor, single=mode == "One digit") if image is not None else None


def one_digit_ui(reading, compact_width: int | None, correction_key: str) -> None:
    """The digit read, how sure the model is and the probability of each digit; with ``compact_width``
    (the room, in pixels) the digit goes beside a shorter chart."""
    compact = compact_width is not None
    digit = reading.not_digits[0] if reading.empty else reading.digits[0]
    number = reading.number  # the ink reads better as several digits: the verdict is that it is a number
    # Top-aligned on a phone: the digit read sits as high as the chart beside it, in view above the browser's bars.
    with st.container(horizontal=compact, vertical_alignment="top"):
        if reading.empty:
            st.metric("Prediction", "?", "a number" if number else "not a digit", delta_color="off", delta_arrow="off", width="content")
        else:
            st.metric("Prediction", str(digit.digit), f"{percent(digit.confidence)} sure", delta_color="off", delta_arrow="off", width="content")
        st.plotly_chart(probabilities_figure(digit.probabilities, height=150 if compact else 260, highlight=not reading.empty),
                        key="draw_probabilities", config={"displayModeBar": False},
                        width=max(compact_width - COMPACT_METRIC_WIDTH, 160) if compact else "stretch")
    # One verdict, right under the answer: a number, or no digit, or a digit the model is not sure of.
    if number is not None:
        st.info(f"This looks like a number, **{number.text}**: choose \"A number\" above to read each digit.", icon=":material/pin:")
    elif reading.empty:
        st.warning("That does not look like a digit. Draw one digit, 0 to 9, as large as you like.", icon=":material/block:")
    elif digit.uncertain:
        st.warning(f"Not sure: below {UNCERTAIN_BELOW:.0%} confidence. Is it one of the taller bars?", icon=":material/help:")
    correct_ui(correction_key, digit, model.version.id, "canvas", pen_strokes(drawn_strokes()))
    st.caption("What the model sees: your drawing as MNIST would have it, 28x28 pixels")
    pixels_ui(digit.model_input)
    offer_inside_ui("drawing", [("your drawing", digit.model_input)])


with right:
    if reading is None or (reading.empty and not reading.not_digits and reading.number is None):
        what = "a digit on the black square" if mode == "One digit" else "a number, digit by digit, on the black canvas"
        st.info(f"Draw {what}: the prediction appears as soon as you lift the pen.", icon=":material/draw:")
    elif mode == "One digit":
        one_digit_ui(reading, compact_width=page_width if narrow else None, correction_key=reading_keys("draw", image, 1)[0])
    else:
        count = len(reading.digits)
        st.metric("Prediction", " / ".join(reading.lines) or "?", f"{count} digit{'' if count == 1 else 's'}",
                  delta_color="off", delta_arrow="off")
        if not count:
            st.warning("That does not look like digits. Write them one beside the other, 0 to 9.", icon=":material/block:")
        digits_read_ui(image, reading, drawing=True)
        strokes = pen_strokes(drawn_strokes())
        correct_digits_ui(reading, image, "draw", model.version.id, "canvas", lambda box: strokes_in_box(strokes, box))
        offer_inside_ui("drawing", read_digits(reading))
