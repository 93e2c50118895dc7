"""The room a page has in the visitor's browser: the width of a container, measured there, and the size pictures are shown at."""

from __future__ import annotations

import streamlit as st

NARROW_BELOW = 640  # Streamlit stacks columns on a page narrower than this, in CSS pixels (a phone held upright)
SHOWN_WIDTH = 1460  # Streamlit's widest picture (2 x 730 pixels); it shrinks wider ones to this width
SHOWN_HEIGHT = 560  # pictures are shown at most this high: a portrait photo leaves room for what was read


def shown_size(width: int, height: int) -> tuple[int, int]:
    """The size a picture is shown at: its own, shrunk to at most SHOWN_WIDTH wide and SHOWN_HEIGHT high."""
    shown_width = min(width, SHOWN_WIDTH, max(1, round(SHOWN_HEIGHT * width / height)))
    return shown_width, max(1, round(height * shown_width / width))


# Reports the width of the container it is placed in, in CSS pixels, and again whenever that width changes by
# a step of 20 pixels (a rotated phone, a resized window, the sidebar opened or closed); never in between,
# so that a window being dragged wider does not rerun the page at every pixel.
_ROOM_JS = """
export default function(component) {
  const { parentElement, setStateValue } = component;
  let last = null;
  const report = () => {
    const width = Math.floor(parentElement.getBoundingClientRect().width / 20) * 20;
    if (width > 0 && width !== last) { last = width; setStateValue("width", width); }
  };
  const observer = new ResizeObserver(report);
  observer.observe(parentElement);
  report();
  return () => observer.disconnect();
}
"""


_room_probe = st.components.v2.component("room_width", js=_ROOM_JS, isolate_styles=False)


def room_width_ui(key: str, fallback: int) -> int:
    """The width in pixels of the container this is called in, measured in the browser, so that a fixed-size
    widget such as the drawing canvas can be made to fit it. ``fallback`` until the browser has said (the
    first run of a session, and AppTest, which has no browser)."""
    result = _room_probe(key=key, default={"width": None}, on_width_change=lambda: None)
    width = getattr(result, "width", None)  # a script run without a server (bare mode) has no component state
    return int(width) if width else fallback
