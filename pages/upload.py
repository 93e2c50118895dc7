"""Upload: a photo or scan of handwriting (or a camera shot), every digit found and read.

The upload stays in memory (in the session, so that it is still there after a visit to another page): its
bytes go to mnist_app.reading.images.read_picture, which checks them and decodes
them at the resolution reading needs (a 12-megapixel photo at half size), and its name is only ever
shown, never used as a path.
"""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import streamlit as st

from mnist_app.reading.images import ImageError, read_picture
from mnist_app.reading.recognize import recognize
from ui.corrections import correct_digits_ui
from ui.inside import offer_inside_ui, read_digits
from ui.pictures import digits_read_ui, picture_ui
from ui.resources import active_model
from ui.session import remembered
from ui.uploads import photo_source_ui, refusal_message, shown_name

MODES = ["One digit", "A number"]  # in the Draw page's order; a photo is more often of a number

st.title("Read a photo of handwriting")
st.write("Digits written in dark ink on light paper, or light on dark: one digit or a whole number.")

# The options first, in one row that wraps: on a phone, options below the chooser would push the reading
# down by their height.
with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
    mode = st.segmented_control("Read", MODES, default=remembered("upload_mode", MODES[1]), key="upload_mode") or MODES[1]
    use_camera = st.toggle("Use the camera", value=remembered("upload_use_camera", False), key="upload_use_camera")
photo = photo_source_ui(use_camera)

if (refused := refusal_message()) is not None:
    st.error(refused, icon=":material/block:")
if photo is None:
    if refused is None:
        st.info("Upload a PNG, JPEG, WebP, BMP or GIF image, or take a photo.", icon=":material/upload:")
    st.stop()

try:
    picture = read_picture(photo.data)  # the boxes read come back in the file's own pixels
except ImageError as error:
    st.error(f"Cannot read {shown_name(photo.name)}: {error}.", icon=":material/broken_image:")
    st.stop()

model = active_model()
reading = recognize(picture, model.predictor, single=mode == "One digit")
if reading.empty and reading.number is None:
    if reading.not_digits:
        st.warning("What is written here does not look like digits.", icon=":material/block:")
        digits_read_ui(picture, reading, caption=shown_name(photo.name))
    else:
        st.warning("No digit found in this image. Is the writing dark on light (or light on dark), and large enough?", icon=":material/search_off:")
        picture_ui(picture.pixels, caption=shown_name(photo.name))
    st.stop()
if reading.number is not None:
    st.info(f"This looks like a number, **{reading.number.text}**: choose \"A number\" to read each digit.", icon=":material/pin:")
    if reading.empty:  # the verdict is the number: the photo, and nothing said about marks or digits
        picture_ui(picture.pixels, caption=shown_name(photo.name))
        st.stop()

count = len(reading.digits)
lines = reading.lines
st.metric("Read", " / ".join(lines), f"{count} digit{'' if count == 1 else 's'}" + (f" on {len(lines)} lines" if len(lines) > 1 else ""),
          delta_color="off", delta_arrow="off")
digits_read_ui(picture, reading, caption=shown_name(photo.name))
correct_digits_ui(reading, picture.pixels, "upload", model.version.id, "photo")
offer_inside_ui("photo", read_digits(reading))
