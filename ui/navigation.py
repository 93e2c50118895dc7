"""The app's seven pages and their links in the sidebar: app.py runs the app through ``run_app``.

Streamlit treats a ``pages/`` folder beside the main script as its legacy multipage layout until the
first run of any visitor reaches ``st.navigation``: on a freshly started server the first visit to a deep
link such as ``/upload`` runs ``pages/upload.py`` on its own, without app.py, its sidebar or its
navigation. Every page therefore starts with ``through_app()``, before its other imports (which load
TensorFlow). In that case it declares the app's pages, which ends the legacy layout for the whole server,
and reruns: the rerun goes through app.py to the same page, with a spinner while TensorFlow loads. The
legacy list of file names is hidden by ``client.showSidebarNavigation = false`` (.streamlit/config.toml),
and the sidebar lists the pages by their titles with ``st.page_link``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import streamlit as st

from mnist_app.database import DatabaseError
from ui.outage import database_away_ui
from ui.screen import NARROW_BELOW

# (file, title, icon); the first page is the home page.
PAGES = [
    ("pages/draw.py", "Draw", ":material/draw:"),
    ("pages/upload.py", "Upload a photo", ":material/photo_camera:"),
    ("pages/dataset.py", "Dataset", ":material/grid_view:"),
    ("pages/training.py", "Training", ":material/monitoring:"),
    ("pages/evaluation.py", "Evaluation", ":material/fact_check:"),
    ("pages/inside.py", "Inside the model", ":material/neurology:"),
    ("pages/corrections.py", "Corrections", ":material/rate_review:"),
]
# The browser tab's icon is served by the app: a Material icon name here would be fetched from Google's
# font server, which an offline machine cannot reach.
ICON = Path(__file__).parent / "icon.png"
ROOT = Path(__file__).resolve().parent.parent  # pages are named from here, wherever the main script is

_run = threading.local()  # each visitor's script runs on a thread of its own

# On a phone held upright (Streamlit stacks columns below NARROW_BELOW CSS pixels) a page starts higher and its title
# is smaller, so that the answer to a drawing sits in the top 660 pixels, above the browser's own bars:
# Streamlit's 6rem top padding and 2.75rem title pushed it to 668-771 on a 390x844 screen.
COMPACT_ON_PHONES = f"""<style>
@media (max-width: {NARROW_BELOW}px) {{
  [data-testid="stMainBlockContainer"] {{ padding-top: 3.75rem; }}
  [data-testid="stMainBlockContainer"] h1 {{ font-size: 1.5rem; padding: 0 0 0.5rem 0; }}
}}
</style>"""


def run_app() -> None:
    """The page the visitor asked for, inside the app: page settings, sidebar links and model, then the page."""
    st.set_page_config(page_title="Handwritten digits", page_icon=str(ICON), layout="wide")
    pages = _pages()
    navigation = st.navigation(pages, position="hidden")
    with st.sidebar:
        st.html(COMPACT_ON_PHONES)  # styles apply to the whole page; in the sidebar they take no room in a page
        for page in pages:
            st.page_link(page)
    # Imported after the links are drawn: this loads TensorFlow, which takes seconds on a fresh server; the
    # visitor sees the pages and a spinner meanwhile, not a blank page. Only then: st.spinner starts a thread,
    # and with 40 visitors on a process, starting one on every run cost seconds (docs/figures.md, capacity).
    loading = st.spinner("Loading the model...") if "ui.sidebar" not in sys.modules else contextlib.nullcontext()
    with loading:
        from ui.session import pending_toast_ui
        from ui.sidebar import model_sidebar_ui

    model_sidebar_ui()
    pending_toast_ui()
    _run.inside = True
    try:
        navigation.run()
    except DatabaseError as error:  # whatever part of a page needs the shared database, the page says so and stops there
        database_away_ui(error)
    finally:
        _run.inside = False


def through_app() -> None:
    """The first call of every page: when Streamlit runs the page on its own (see above), run it in the app instead."""
    if not getattr(_run, "inside", False):
        st.navigation(_pages(), position="hidden")
        st.rerun()


def page_file(name: str) -> str:
    """The file of a page ("inside"), as st.page_link and st.switch_page take it, wherever the main script is."""
    return str(ROOT / "pages" / f"{name}.py")


def _pages() -> list[st.Page]:
    return [st.Page(ROOT / path, title=title, icon=icon, default=index == 0) for index, (path, title, icon) in enumerate(PAGES)]
