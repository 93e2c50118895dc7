"""Upload: a photo or scan of handwriting (or a camera shot), every digit found and read."""

import streamlit as st

from mnist_app.images import EXTENSIONS, ImageError, read_image
from mnist_app.recognize import recognize
from pages.common import active_model, digits_read_ui

st.title("Read a photo of handwriting")
st.write("Digits written in dark ink on light paper, or light on dark: one digit or a whole number.")

source, options = st.columns([2, 1], gap="large")
with options:
    mode = st.segmented_control("Read", ["A number", "One digit"], default="A number", key="upload_mode") or "A number"
    use_camera = st.toggle("Use the camera", key="upload_use_camera")
with source:
    if use_camera:
        upload = st.camera_input("Take a photo of the digits", key="upload_camera")
    else:
        upload = st.file_uploader("Choose an image", type=list(EXTENSIONS), key="upload_file")

if upload is None:
    st.info("Upload a PNG, JPEG, WebP, BMP or GIF image, or take a photo.", icon=":material/upload:")
    st.stop()

try:
    image = read_image(upload.getvalue())
except ImageError as error:
    st.error(f"Cannot read {upload.name!r}: {error}.", icon=":material/broken_image:")
    st.stop()

reading = recognize(image, active_model().predictor, single=mode == "One digit")
if reading.empty:
    st.warning("No digit found in this image. Is the writing dark on light (or light on dark), and large enough?", icon=":material/search_off:")
    st.image(image, caption=upload.name)
    st.stop()

st.metric("Read", reading.text, f"{len(reading.digits)} digit{'s' if len(reading.digits) > 1 else ''}", delta_color="off", delta_arrow="off")
digits_read_ui(image, reading, caption=upload.name)
