"""What a large upload costs to read: time and memory of reading a file and recognizing its digits.

    python benchmarks/photo_cost.py [--repeat N] [--threads N] [--kinds phone scan canvas]
    python benchmarks/photo_cost.py --accuracy N [--budgets 0 4 1.34 0.75]

Kinds of file (made here from pen-drawn digits of pendigits-orig.tes):
  phone   a 4000x3000 JPEG (quality 90): a number of 5 digits, each 10% of the frame high, written on
          paper and photographed (light, shadow, noise, blur: pendigits' photo), as a phone takes it
  scan    a 6000x6000 PNG (about 100 KB): white, with 4 dark digits 600 pixels high, as a scanner makes it
  canvas  a 280x280 PNG drawing, for comparison: small images must cost what they did
Paths through the engine:
  page    images.read_image (the full picture) -> recognize: what the Upload page does
  engine  images.read_picture (decoded at the resolution analysis needs) -> recognize: what the command
          line does (before read_picture existed: the same as page)
Every case runs in a process of its own: the model is loaded and traced, one blank canvas read, then the
first reading of the file is timed, then --repeat more (the median), or --threads threads read it at once.
Peak extra memory is the process's peak resident size (VmHWM in /proc/self/status, reset through
/proc/self/clear_refs) above what it held just before. With --accuracy, N photos of numbers of 3 to 6
digits by the writers 25-30 of pendigits-orig.tra (held out of training), the digits 2% to 20% of a
4000x3000 frame high (--heights), written with a pen 5% to 10% of their height (--pen), are read at each bound on the megapixels analysed (0: none; 4, 1.34 and 0.75
shrink such a photo by 2, 3 and 4) and the share read exactly is printed per digit height.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting.pendigits import PenDigit, _photograph, draw_like_a_user, draw_strokes, read_pendigits  # noqa: E402
from mnist_app.reading import images  # noqa: E402

PENDIGITS = PROJECT.parent / "shared" / "data" / "pendigits"
KINDS = ("phone", "scan", "canvas")
ACCURACY_HEIGHTS = (60, 90, 150, 300, 600)  # digit heights in a 3000-pixel-high frame: 2% to 20%, by default


def write_number(digits: list[PenDigit], frame: tuple[int, int], digit_height: float, rng: np.random.Generator,
                 pen: int | None = None) -> np.ndarray:
    """(H, W) uint8 ink of ``digits`` written left to right somewhere on a frame, as write_on_paper lays them out."""
    height, width = frame
    pen = pen or max(2, round(digit_height * rng.uniform(0.05, 0.10)))
    widths = []
    for digit in digits:
        points = np.concatenate(digit.strokes)
        extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1.0)
        widths.append(min(digit_height * extent[0] / extent[1], 1.2 * digit_height))
    gaps = [digit_height * rng.uniform(0.15, 0.5) for _ in digits]
    total = sum(widths) + sum(gaps[:-1]) + pen * len(digits)
    x = rng.uniform(0.05 * width, max(0.05 * width, 0.95 * width - total))
    baseline = rng.uniform(0.1 * height + digit_height, 0.9 * height)
    ink = np.zeros(frame, np.uint8)
    for digit, digit_width, gap in zip(digits, widths, gaps):
        points = np.concatenate(digit.strokes)
        extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1.0)
        glyph_height = digit_width * extent[1] / extent[0]
        centre = (x + digit_width / 2 + pen / 2, baseline - glyph_height / 2)
        ink = np.maximum(ink, draw_strokes(digit.strokes, frame, height=glyph_height, centre=centre, stroke_width=pen))
        x += digit_width + gap + pen
    return ink


def jpeg_bytes(photo: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def make_file(kind: str, digits: list[PenDigit], rng: np.random.Generator) -> tuple[bytes, str]:
    """The file of one kind, and the digits written on it."""
    picked = [digits[i] for i in rng.choice(len(digits), 5, replace=False)]
    if kind == "phone":
        return jpeg_bytes(_photograph(write_number(picked, (3000, 4000), 300, rng), rng)), _text(picked)
    if kind == "scan":
        ink = write_number(picked[:4], (6000, 6000), 600, rng, pen=40)
        return png_bytes(np.repeat(255 - ink[..., np.newaxis], 3, axis=2)), _text(picked[:4])
    return png_bytes(draw_like_a_user(picked[0], rng)), _text(picked[:1])


def _text(digits: list[PenDigit]) -> str:
    return "".join(str(digit.label) for digit in digits)


# --- measuring, in a process of its own ---------------------------------------------------------------

def _status(field: str) -> float:
    """A field of /proc/self/status in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> float:
    """Reset the peak resident size to the current one (Linux 4.0 and later); the current size in MiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def measure(path: str, data: bytes, single: bool, repeat: int, threads: int) -> dict:
    from mnist_app.reading.recognize import load_predictor, recognize

    predictor = load_predictor(Paths().default_model_dir)
    read = images.read_picture if path == "engine" and hasattr(images, "read_picture") else images.read_image
    recognize(np.zeros((280, 280), np.uint8), predictor)  # the libraries' own first calls, not the file's

    def once() -> tuple[float, str]:
        started = time.perf_counter()
        reading = recognize(read(data), predictor, single=single)
        return time.perf_counter() - started, reading.text

    result = {"function": read.__name__}
    before = _reset_peak()
    if threads <= 1:
        result["first"], result["text"] = once()
        result["peak"] = _status("VmHWM") - before
        warm, cpu = [], []
        for _ in range(repeat):
            before, cpu_started = _reset_peak(), time.process_time()
            warm.append(once()[0])
            cpu.append(time.process_time() - cpu_started)  # every thread of the process: OpenCV's too
            result["peak"] = max(result["peak"], _status("VmHWM") - before)
        result["warm"] = statistics.median(warm) if warm else float("nan")
        result["cpu"] = statistics.median(cpu) if cpu else float("nan")
        return result
    barrier, times = threading.Barrier(threads), []

    def visitor() -> None:
        barrier.wait()
        times.append(once()[0])

    started = time.perf_counter()
    workers = [threading.Thread(target=visitor) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result.update(wall=time.perf_counter() - started, median=statistics.median(times), slowest=max(times),
                  peak=_status("VmHWM") - before)
    return result


def child(args: argparse.Namespace) -> None:
    data = Path(args.file).read_bytes()
    print(json.dumps(measure(args.path, data, args.kind == "canvas", args.repeat, args.threads)))


def run_child(kind: str, path: str, file: Path, repeat: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--path", path, "--file", str(file),
               "--repeat", str(repeat), "--threads", str(threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def cost(args: argparse.Namespace) -> None:
    digits = read_pendigits(PENDIGITS / "pendigits-orig.tes")
    rng = np.random.default_rng(args.seed)
    print(f"{os.cpu_count()} CPU cores (load {os.getloadavg()[0]:.1f} at the start); each case in a fresh process; "
          "number mode except the canvas (one digit); warm: median wall and CPU time")
    print(f"{'kind':<7}{'file':>16}{'path':>8}  {'reads':<14}{'first ms':>9}{'warm ms':>9}{'CPU ms':>8}{'peak MiB':>9}"
          f"   {args.threads} at once: {'wall s':>6}{'median s':>9}{'slowest s':>10}{'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.kinds:
            data, truth = make_file(kind, digits, rng)
            file = Path(folder) / kind
            file.write_bytes(data)
            size = Image.open(io.BytesIO(data)).size
            for path in ("page", "engine"):
                one = run_child(kind, path, file, args.repeat, 1)
                many = run_child(kind, path, file, 0, args.threads) if args.threads > 1 else None
                described = f"{size[0]}x{size[1]} {len(data) / 1024:.0f}K"
                line = (f"{kind:<7}{described:>16}{path:>8}  {one['function']:<14}{one['first'] * 1000:>9.0f}{one['warm'] * 1000:>9.0f}"
                        f"{one['cpu'] * 1000:>8.0f}{one['peak']:>9.0f}")
                if many:
                    line += f"   {'':>{len(str(args.threads)) + 10}}{many['wall']:>6.2f}{many['median']:>9.2f}{many['slowest']:>10.2f}{many['peak']:>9.0f}"
                print(line + ("" if one["text"] == truth else f"   (read {one['text']!r}, written {truth!r})"), flush=True)


# --- accuracy at each bound ----------------------------------------------------------------------------

def accuracy(args: argparse.Namespace) -> None:
    from mnist_app.reading.recognize import load_predictor, recognize

    try:
        from mnist_app.reading import pictures
    except ImportError:  # before the bound existed: every photo is read as it is
        resolution, args.budgets = None, [0]
    held_out = [d for d in read_pendigits(PENDIGITS / "pendigits-orig.tra") if d.writer in range(25, 31)]
    by_writer: dict[int, list[PenDigit]] = {}
    for digit in held_out:
        by_writer.setdefault(digit.writer, []).append(digit)
    rng = np.random.default_rng(args.seed)
    photos = []  # (jpeg bytes, number written, digit height)
    for index in range(args.accuracy):
        height = args.heights[index % len(args.heights)]
        mine = by_writer[sorted(by_writer)[int(rng.integers(len(by_writer)))]]
        picked = [mine[i] for i in rng.choice(len(mine), int(rng.integers(3, 7)), replace=False)]
        pen = max(2, round(args.pen * height)) if args.pen else None
        photos.append((jpeg_bytes(_photograph(write_number(picked, (3000, 4000), height, rng, pen), rng)), _text(picked), height))
    predictor = load_predictor(Paths().default_model_dir)
    print(f"{len(photos)} photos 4000x3000 of numbers by writers 25-30 of pendigits-orig.tra; share read exactly")
    print(f"{'budget MP':>10}{'analysed':>11}{'all':>7}" + "".join(f"{f'{h} px':>8}" for h in args.heights)
          + f"{'ms per photo':>14}   against the first row: photos read right only here / only there")
    first = None
    for budget in args.budgets:
        if resolution is not None:
            # For measuring only: the engine reads its bound at call time; 0 stands for no bound at all.
            pictures.ANALYSIS_MAX_PIXELS = round(budget * 1e6) or images.MAX_PIXELS
        analysed = "{}x{}".format(*(pictures.analysis_size(4000, 3000) if resolution is not None else (4000, 3000)))
        read = images.read_picture if resolution is not None else images.read_image
        started = time.perf_counter()
        right = np.array([recognize(read(data), predictor, single=False).text == truth for data, truth, _ in photos])
        elapsed = (time.perf_counter() - started) * 1000 / len(photos)
        heights = np.array([height for _, _, height in photos])
        shares = "".join(f"{right[heights == h].mean():>8.0%}" for h in args.heights)
        first = right if first is None else first
        print(f"{budget or 'none':>10}{analysed:>11}{right.mean():>7.1%}{shares}{elapsed:>14.0f}"
              f"   {int((right & ~first).sum())} / {int((first & ~right).sum())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--repeat", type=int, default=5, help="warm readings after the first (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=10, help="readers at once (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--accuracy", type=int, default=0, help="measure accuracy on N large photos instead")
    parser.add_argument("--budgets", type=float, nargs="+", default=[0, 4, 1.34, 0.75], help="megapixels analysed")
    parser.add_argument("--heights", type=int, nargs="+", default=list(ACCURACY_HEIGHTS), help="digit heights in pixels")
    parser.add_argument("--pen", type=float, default=None, help="pen width as a share of the digits' height (default: 5-10%%)")
    parser.add_argument("--child", choices=KINDS, dest="kind", help=argparse.SUPPRESS)
    parser.add_argument("--path", choices=["page", "engine"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kind:
        child(args)
    elif args.accuracy:
        accuracy(args)
    else:
        cost(args)


if __name__ == "__main__":
    main()
