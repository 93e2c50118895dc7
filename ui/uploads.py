"""The Upload page's source of pictures: the file chooser or the camera, a photo that outlives a visit to
another page, and a plain message on the page for a file the browser refuses before it is sent.

Streamlit's file chooser refuses a file over the server's upload limit (``server.maxUploadSize``) or of
another type in the browser: the server never hears of it, and the chooser only turns the file's chip red,
with the reason in a tooltip. A small script beside the chooser sees the file being chosen or dropped and
tells the page which one and why, so the page can say it and give a fresh chooser.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from mnist_app.reading.images import EXTENSIONS

NAME_SHOWN_CHARS = 60  # longer file names are shortened in the middle, keeping the extension
_KEPT_KEY = "upload_kept"  # the last photo read, kept in the session: its name and bytes
_FROM_BEFORE_KEY = "upload_from_before"  # True while the photo shown is the kept one, not the chooser's
_RESETS_KEY = "upload_resets"  # counts fresh choosers (after a refused file)
_REFUSED_KEY = "upload_refused"  # what the browser refused, to be said once


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes


# Sees files chosen with the dialog (a "change" of the chooser's input) or dropped on it, before Streamlit's
# own handlers, and reports the first one the browser will refuse.
_GUARD_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const check = (files) => {
    for (const file of files || []) {
      const extension = (file.name.split(".").pop() || "").toLowerCase();
      const reason = file.size > data.limit ? "size" : (data.extensions.includes(extension) ? null : "type");
      if (reason) { setTriggerValue("refused", { name: file.name, size: file.size, reason }); return; }
    }
  };
  const chooser = '[data-testid="stFileUploader"]';
  const onChange = (event) => { if (event.target.closest && event.target.closest(chooser)) check(event.target.files); };
  const onDrop = (event) => { if (event.target.closest && event.target.closest(chooser)) check(event.dataTransfer && event.dataTransfer.files); };
  document.addEventListener("change", onChange, true);
  document.addEventListener("drop", onDrop, true);
  return () => { document.removeEventListener("change", onChange, true); document.removeEventListener("drop", onDrop, true); };
}
"""
_guard = st.components.v2.component("upload_guard", js=_GUARD_JS, isolate_styles=False)


def shown_name(name: str) -> str:
    """A file name as it may be shown: on one line, shortened, and in a code span, because Streamlit reads
    messages and captions as markdown and a name is text (``[a](b).png`` must not become a link)."""
    flat = "".join(char if char.isprintable() else " " for char in name).replace("`", "'")
    if len(flat) > NAME_SHOWN_CHARS:
        flat = f"{flat[: NAME_SHOWN_CHARS - 20]}…{flat[-19:]}"
    return f"`{flat}`"


def upload_limit_bytes() -> int:
    return int(st.get_option("server.maxUploadSize")) * 1024 * 1024


def photo_source_ui(use_camera: bool) -> Photo | None:
    """The photo to read: the one just chosen or taken, else the one read before the visitor went to
    another page (until they remove it or choose another); None if there is none."""
    st.session_state.setdefault(_RESETS_KEY, 0)
    key = "upload_camera" if use_camera else f"upload_file_{st.session_state[_RESETS_KEY]}"
    returning = key not in st.session_state  # this chooser was not on the page in the last run
    if use_camera:
        upload = st.camera_input("Take a photo of the digits", key=key)
    else:
        upload = st.file_uploader("Choose an image", type=list(EXTENSIONS), key=key)
        refused = _guard(key="upload_guard", data={"limit": upload_limit_bytes(), "extensions": list(EXTENSIONS)},
                         on_refused_change=lambda: None).refused
        if refused:  # a fresh chooser, without the red chip; the reason is said on the page instead
            st.session_state[_REFUSED_KEY] = refused
            st.session_state[_RESETS_KEY] += 1
            st.session_state[_KEPT_KEY] = None  # the photo before it is not what the visitor now asked to read
            st.session_state[_FROM_BEFORE_KEY] = False
            st.rerun()
    if upload is not None:
        st.session_state[_KEPT_KEY] = Photo(upload.name, upload.getvalue())
        st.session_state[_FROM_BEFORE_KEY] = False
    elif returning and st.session_state.get(_KEPT_KEY) is not None:
        st.session_state[_FROM_BEFORE_KEY] = True
    elif not st.session_state.get(_FROM_BEFORE_KEY):
        st.session_state[_KEPT_KEY] = None  # the visitor removed the file from the chooser
    if st.session_state.get(_FROM_BEFORE_KEY) and st.session_state.get(_KEPT_KEY) is not None:
        if st.button("Remove this photo", icon=":material/close:", key="upload_remove"):
            st.session_state[_KEPT_KEY] = None
            st.session_state[_FROM_BEFORE_KEY] = False
            st.rerun()
    return st.session_state.get(_KEPT_KEY)


def refusal_message() -> str | None:
    """Why the browser refused the last file chosen, in words, once; None if it refused none since."""
    refused = st.session_state.pop(_REFUSED_KEY, None)
    if not refused:
        return None
    name = shown_name(str(refused.get("name", "the file")))
    if refused.get("reason") == "size":
        return (f"{name} is {refused.get('size', 0) / 2**20:.1f} MB, more than this server takes "
                f"({upload_limit_bytes() // 2**20} MB). A smaller copy reads as well: a phone's \"medium\" size, "
                "a screenshot, or the photo cropped to the digits.")
    return f"{name} is not a picture this page reads: choose a PNG, JPEG, WebP, BMP or GIF file."
