"""Draw: a digit (or a number) on a canvas, read every time the pen is lifted."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_app.recognize import UNCERTAIN_BELOW, recognize
from ui.common import active_model, digits_read_ui, pixels_ui, probabilities_figure, room_width_ui

CANVAS_SIZE = 280  # the digit canvas's side, and the number canvas's height, at most
NUMBER_CANVAS_WIDTH = 840  # room for five or six digits side by side

st.title("Draw a digit")
st.session_state.setdefault("draw_clears", 0)
st.session_state.setdefault("draw_clearing", False)
predictor = active_model().predictor  # loaded before the first stroke, not after it

mode = st.segmented_control("Read", ["One digit", "A number"], default="One digit", key="draw_mode") or "One digit"
# A digit's canvas sits beside its answer; a number needs a wide canvas, so its answer goes below it. Either
# canvas is sized to the room it has, measured in the browser (the page's width is measured on every page
# load, so that switching to a number does not resize the canvas under the pen): a stroke drawn past the
# edge of the room would be lost without a sign.
page_width = room_width_ui(key="draw_room_page", fallback=CANVAS_SIZE)
if mode == "A number":
    left, right = st.container(), st.container()
else:
    left, right = st.columns([1, 1.3], gap="large")
with left:
    pen = st.slider("Pen width", min_value=8, max_value=40, value=18, key="draw_pen")
    if mode == "A number":
        width = min(page_width, NUMBER_CANVAS_WIDTH)
    else:
        width = min(room_width_ui(key="draw_room_column", fallback=CANVAS_SIZE), CANVAS_SIZE)
    canvas = st_canvas(
        stroke_width=pen,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=width,
        height=CANVAS_SIZE if mode == "A number" else width,
        drawing_mode="freedraw",
        return_image_data=True,
        # Clear empties this canvas in place: given a new initial drawing, the component reloads it and
        # reports the empty drawing. A new key instead took a second to show a new canvas, and a busy
        # browser could wipe the first stroke drawn on it when it finished loading.
        initial_drawing={"objects": [], "clears": st.session_state.draw_clears},
        key=f"draw_canvas_{mode}",
    )
    if st.button("Clear", icon=":material/ink_eraser:", key="draw_clear"):
        st.session_state.draw_clears += 1
        st.session_state.draw_clearing = True
        st.rerun()

image = canvas.image_data
if st.session_state.draw_clearing:
    if (canvas.json_data or {}).get("objects"):
        image = None  # the drawing from before Clear, until the canvas reports that it is empty
    else:
        st.session_state.draw_clearing = False
reading = recognize(image, predictor, single=mode == "One digit") if image is not None else None

with right:
    if reading is None or (reading.empty and not reading.not_digits and reading.number is None):
        what = "a digit on the black square" if mode == "One digit" else "a number, digit by digit, on the black canvas"
        st.info(f"Draw {what}: the prediction appears as soon as you lift the pen.", icon=":material/draw:")
    elif mode == "One digit":
        if reading.number is not None:
            st.info(f"This looks like a number, **{reading.number.text}**: choose \"A number\" above to read each digit.",
                    icon=":material/pin:")
        if reading.empty:
            digit = reading.not_digits[0]
            st.metric("Prediction", "?", "not a digit", delta_color="off", delta_arrow="off")
            st.warning("That does not look like a digit. Draw one digit, 0 to 9, as large as you like.", icon=":material/block:")
        else:
            digit = reading.digits[0]
            st.metric("Prediction", str(digit.digit), f"{digit.confidence:.1%} sure", delta_color="off", delta_arrow="off")
            if digit.uncertain and reading.number is None:
                st.warning(f"Not sure: below {UNCERTAIN_BELOW:.0%} confidence. Is it one of the taller bars below?", icon=":material/help:")
        st.plotly_chart(probabilities_figure(digit.probabilities, highlight=not reading.empty), key="draw_probabilities",
                        config={"displayModeBar": False})
        st.caption("What the model sees: your drawing as MNIST would have it, 28x28 pixels")
        pixels_ui(digit.model_input)
    else:
        count = len(reading.digits)
        st.metric("Prediction", " / ".join(reading.lines) or "?", f"{count} digit{'' if count == 1 else 's'}",
                  delta_color="off", delta_arrow="off")
        digits_read_ui(image, reading)
