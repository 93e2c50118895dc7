"""The Draw page's canvas: a drawing that outlives a visit to another page and a change of mode, and labelled
Undo, Redo and Clear buttons that work the same with a mouse and on a touch screen.

The canvas component (streamlit-drawable-canvas) keeps its strokes in the browser, and forgets them when the
page is left. So this module keeps them in the session: every drawing the canvas reports is one step of a
``DrawingHistory``, and going back to a drawing (a return to the page, Undo, Redo, Clear) hands its strokes
to the canvas as its initial drawing, which the canvas loads in place. The component's own toolbar is
hidden: it shows only while a mouse hovers (never on touch), over the widgets above the canvas, and its
buttons repeat ours or break drawing (its pencil turns drawing off).
"""

from __future__ import annotations

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ui.drawing import DrawingHistory, fit_strokes

_HISTORY_KEY = "draw_history"


# Hides the canvas component's own toolbar (see the module's docstring). The component draws in a shadow
# root of its own, which the page's styles cannot reach, so a style is put into that root, for every canvas
# on the page, including one drawn later (the other mode).
_HIDE_TOOLBAR_JS = """
export default function() {
  const hide = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && root.querySelector(".dc-root") && !root.querySelector("style[data-no-toolbar]")) {
        const style = document.createElement("style");
        style.setAttribute("data-no-toolbar", "");
        style.textContent = ".dc-toolbar { display: none !important; }";
        root.appendChild(style);
      }
    }
  };
  hide();
  const timer = setInterval(hide, 200);
  return () => clearInterval(timer);
}
"""
_toolbar_hider = st.components.v2.component("canvas_toolbar_hider", js=_HIDE_TOOLBAR_JS, isolate_styles=False)


def drawing_canvas_ui(key: str, width: int, height: int, pen: int):
    """The canvas with the session's drawing on it; returns its (H, W, 4) RGBA image, or None while there
    is nothing to read yet (nothing drawn, or the canvas still shows the drawing before Undo or Clear).

    ``key`` names the canvas (one per mode): a canvas not drawn in the previous run (a return to the
    page, the other mode) starts with the drawing the session had, fitted to its size.
    """
    history: DrawingHistory = st.session_state.setdefault(_HISTORY_KEY, DrawingHistory())
    if key not in st.session_state:  # this canvas is new in the browser: give it the drawing
        history.load(fit_strokes(history.strokes, width, height))
    canvas = st_canvas(
        stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000", width=width, height=height,
        drawing_mode="freedraw", return_image_data=True,
        # A new initial drawing makes the canvas load it in place and report it. (A new key instead took a
        # second to show a new canvas, and a busy browser could wipe the first stroke drawn on it.)
        initial_drawing={"objects": history.loaded, "loads": history.loads},
        key=key,
    )
    current = history.seen((canvas.json_data or {}).get("objects", []))
    if current and canvas.image_data is not None:
        history.picture = canvas.image_data
    _history_buttons_ui(history)
    _toolbar_hider(key="draw_no_toolbar")
    return history.picture if current else None


def drawn_strokes() -> list:
    """The Fabric objects of the drawing now on the canvas, as the session keeps them."""
    history = st.session_state.get(_HISTORY_KEY)
    return history.strokes if history is not None else []


def _history_buttons_ui(history: DrawingHistory) -> None:
    with st.container(horizontal=True, gap="small"):
        undo = st.button("Undo", icon=":material/undo:", disabled=not history.past, key="draw_undo")
        redo = st.button("Redo", icon=":material/redo:", disabled=not history.future, key="draw_redo")
        clear = st.button("Clear", icon=":material/ink_eraser:", disabled=not history.strokes, key="draw_clear")
    if undo or redo or clear:
        (history.undo if undo else history.redo if redo else history.clear)()
        st.rerun()
