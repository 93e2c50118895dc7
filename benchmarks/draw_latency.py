"""Server-side latency of the Draw page: from a canvas result to the prediction, and a whole page rerun.

    python benchmarks/draw_latency.py [--strokes N] [--model DIR] [--recognition-only]

1. recognition: PNG bytes of a 280x280 canvas (what the canvas component sends) -> decoded array ->
   recognize() (preprocessing and the model), median and 95th percentile over N drawings, in wall time
   and in CPU time; and the same from the decoded array (what the component hands the page);
2. page rerun: the Draw page's script alone (bare mode), and the whole app run by Streamlit's AppTest
   with a new drawing each time and with an empty canvas (the difference is the drawing's share; the
   rest is AppTest's and Streamlit's fixed cost). The canvas component is replaced by its result.
The browser's view, from mouse-up to the prediction on the page, is benchmarks/browser_draw.py.
Drawings are pen-drawn digits of pendigits-orig.tra, drawn as users draw.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting.pendigits import draw_like_a_user, read_pendigits  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize  # noqa: E402


def canvas_png(digit, rng) -> bytes:
    """A drawing as the canvas component sends it: an RGBA PNG, white ink on opaque black."""
    ink = draw_like_a_user(digit, rng)
    rgba = np.dstack([ink, ink, ink, np.full_like(ink, 255)])
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return buffer.getvalue()


def summary(times: list[float]) -> str:
    return f"median {statistics.median(times):6.1f} ms   p95 {np.percentile(times, 95):6.1f} ms   (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strokes", type=int, default=200)
    parser.add_argument("--model", type=Path, default=Paths().default_model_dir, help="for the recognition figures (default: the shipped model)")
    parser.add_argument("--recognition-only", action="store_true", help="skip the page reruns")
    args = parser.parse_args()
    digits = read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tra")
    rng = np.random.default_rng(0)
    drawings = [canvas_png(digits[i], rng) for i in rng.choice(len(digits), args.strokes, replace=False)]

    predictor = load_predictor(args.model)
    times, cpu = [], []
    for png in drawings:
        started, cpu_started = time.perf_counter(), time.process_time()
        recognize(np.asarray(Image.open(io.BytesIO(png))), predictor)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    print(f"canvas result -> prediction (decode, preprocess, model): {summary(times)}")
    # The CPU time of all the process's threads (TensorFlow uses both cores): steadier than the wall time on
    # a shared machine whose speed swings from minute to minute.
    print(f"  the same, CPU time:                                    {summary(cpu)}")
    arrays = [np.asarray(Image.open(io.BytesIO(png))) for png in drawings]
    times = []
    for array in arrays:
        started = time.perf_counter()
        recognize(array, predictor)
        times.append((time.perf_counter() - started) * 1000)
    print(f"canvas array -> prediction (preprocess, model):          {summary(times)}")
    if args.recognition_only:
        return

    from streamlit.testing.v1 import AppTest

    current = {"png": drawings[0], "empty": False}

    class Canvas:  # the component's result for the current drawing
        strokes = 0

        def __init__(self, *args, key: str, **kwargs):
            import streamlit as st

            # A canvas new to the session first shows the drawing it is given (none); after that it has one
            # stroke more at every run, so that the page sees a new drawing each time, as after a pen lift.
            drawing = key in st.session_state and not current["empty"]
            Canvas.strokes += drawing
            stroke = {"type": "path", "left": 0, "top": 0, "path": [["M", 0.0, 0.0], ["L", 1.0, 1.0]]}
            objects = [stroke] * Canvas.strokes if drawing else []
            st.session_state[key] = {"drawing": objects}  # the component's own state, once it has been drawn
            self.json_data = {"objects": objects}
            self.image_data = None if not objects else np.asarray(Image.open(io.BytesIO(current["png"])))

    sys.modules["streamlit_drawable_canvas"] = types.SimpleNamespace(st_canvas=Canvas)

    # The page's own code, executed without a Streamlit server ("bare mode": every st call still builds
    # its message): what a rerun costs the server beyond Streamlit's fixed overhead.
    page = compile((PROJECT / "pages" / "draw.py").read_text(), "pages/draw.py", "exec")
    times = []
    for png in drawings[: min(100, len(drawings))]:
        current["png"] = png
        started = time.perf_counter()
        exec(page, {"__name__": "__main__"})
        times.append((time.perf_counter() - started) * 1000)
    print(f"Draw page script with a new drawing (bare mode):        {summary(times)}")

    for label, empty in (("whole app rerun with a new drawing (AppTest)", False), ("whole app rerun, empty canvas (AppTest)", True)):
        current["empty"] = empty
        # A session of its own for each: the first loads the model (cached for the second), and a canvas
        # that has never been drawn on is empty, as one cleared with the page's Clear button is.
        app = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=120).run()
        times = []
        for png in drawings[: min(50, len(drawings))]:
            current["png"] = png
            started = time.perf_counter()
            app.run()
            times.append((time.perf_counter() - started) * 1000)
            assert not app.exception
            # A new drawing must have been read (else this measures nothing); an empty canvas has no answer.
            assert bool([m for m in app.metric if m.label == "Prediction"]) is not empty, "the page did not read the drawing"
        print(f"{label:<55}{summary(times)}")


if __name__ == "__main__":
    main()
