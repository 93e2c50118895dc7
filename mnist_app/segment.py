"""Splitting the ink of an image into digits: left to right, lines top to bottom.

Connected blobs of ink are the starting point. Blobs that stand above one another belong to one digit
(a 5 whose bar does not touch, a 4 in two strokes, a broken 7); a blob much wider than it is tall is two
or more touching digits, cut where the ink is thinnest when such a place exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_app.preprocess import Ink, stroke_width

TOUCHING_ASPECT = 1.25  # a blob wider than this many times its height holds several digits
SAME_DIGIT_OVERLAP = 0.5  # blobs whose column ranges overlap by half the narrower one are one digit
FLAT_PIECE = 0.4  # a blob less tall than this share of the typical digit height is part of a digit


@dataclass(frozen=True)
class Segment:
    """One digit's place in the image."""

    box: tuple[int, int, int, int]  # (x, y, width, height) in the image's pixels
    mask: np.ndarray  # (height, width) bool: the ink of this digit inside its box


def whole_image(ink: Ink) -> list[Segment]:
    """All the ink as one digit (the drawing page's mode); no segment when there is no ink."""
    if ink.empty:
        return []
    rows, columns = np.nonzero(ink.mask)
    x, y = int(columns.min()), int(rows.min())
    width, height = int(columns.max()) - x + 1, int(rows.max()) - y + 1
    return [Segment((x, y, width, height), ink.mask[y : y + height, x : x + width])]


def split_digits(ink: Ink) -> list[Segment]:
    """Every digit in the image, in reading order."""
    if ink.empty:
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.mask.astype(np.uint8), connectivity=8)
    boxes = [tuple(int(v) for v in stats[i, :4]) for i in range(1, count)]
    groups = _attach_flat_pieces(_merge_stacked(boxes), boxes)
    segments = []
    for members in groups:
        box = _union([boxes[index] for index in members])
        mask = np.isin(_crop(labels, box), [index + 1 for index in members])  # within the box: not the whole image
        segments.extend(_cut_touching(box, mask))
    return _reading_order(segments)


def _merge_stacked(boxes: list[tuple[int, int, int, int]]) -> list[list[int]]:
    """Group blob indices whose column ranges overlap enough to be parts of one digit.

    Groups grow one merge at a time and are compared by their combined boxes, so a digit broken into
    several pieces joins up even when only the pieces next to each other overlap.
    """
    groups = [([index], box) for index, box in enumerate(boxes)]
    merged = True
    while merged:
        merged = False
        for first in range(len(groups)):
            for second in range(first + 1, len(groups)):
                if _parts_of_one_digit(groups[first][1], groups[second][1]):
                    members = groups[first][0] + groups[second][0]
                    groups[first] = (members, _union([groups[first][1], groups[second][1]]))
                    del groups[second]
                    merged = True
                    break
            if merged:
                break
    return [members for members, _ in groups]


def _attach_flat_pieces(groups: list[list[int]], boxes: list[tuple[int, int, int, int]]) -> list[list[int]]:
    """Join each flat piece (a lifted-pen base of a 2, the bar of a 7 set apart) to the digit nearest to it.

    A group less than FLAT_PIECE of the median group height tall is no digit on its own: no digit is
    that flat. It joins the nearest taller group within half a median height; without one it stays.
    """
    if len(groups) < 2:
        return groups
    group_boxes = [_union([boxes[i] for i in members]) for members in groups]
    typical = float(np.median([box[3] for box in group_boxes]))
    tall = [index for index, box in enumerate(group_boxes) if box[3] >= FLAT_PIECE * typical]
    result = {index: list(groups[index]) for index in tall}
    for index, box in enumerate(group_boxes):
        if index in result:
            continue
        distances = {other: _gap(box, group_boxes[other]) for other in tall}
        nearest = min(distances, key=distances.get, default=None)
        if nearest is not None and distances[nearest] < 0.5 * typical:
            result[nearest].extend(groups[index])
        else:
            result[index] = list(groups[index])
    return list(result.values())


def _gap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The distance between two boxes (0 when they overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return float(np.hypot(dx, dy))


def _parts_of_one_digit(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Two boxes stacked above one another, overlapping in columns and close in rows."""
    x1, y1, w1, h1 = a
    x2, y2, w2, h2 = b
    overlap = min(x1 + w1, x2 + w2) - max(x1, x2)
    vertical_gap = max(y1, y2) - min(y1 + h1, y2 + h2)
    return overlap >= SAME_DIGIT_OVERLAP * min(w1, w2) and vertical_gap < 0.5 * max(h1, h2)


def _cut_touching(box: tuple[int, int, int, int], mask: np.ndarray) -> list[Segment]:
    """Cut a blob that is too wide for one digit at its thinnest columns, when they are thin enough."""
    x, y, width, height = box
    pieces = round(width / (0.8 * height))
    if width < TOUCHING_ASPECT * height or pieces < 2:
        return [Segment(box, mask)]
    column_ink = mask.sum(axis=0)
    thin_enough = 2.5 * max(stroke_width(mask), 1.0)  # about two strokes crossing the cut, at most
    cuts = []
    for piece in range(1, pieces):
        centre = round(piece * width / pieces)
        low, high = max(1, centre - width // (3 * pieces)), min(width - 1, centre + width // (3 * pieces))
        best = low + int(np.argmin(column_ink[low:high])) if high > low else centre
        if column_ink[best] > thin_enough:
            return [Segment(box, mask)]  # no clean place to cut: better one wrong digit than a mangled pair
        cuts.append(best)
    segments = []
    for start, stop in zip([0, *cuts], [*cuts, width]):
        part = mask[:, start:stop]
        rows = np.flatnonzero(part.any(axis=1))
        if len(rows) < 0.6 * height:
            return [Segment(box, mask)]  # a cut that leaves a flat or empty piece is not between two digits
        part_box = (x + start, y + int(rows[0]), stop - start, int(rows[-1] - rows[0] + 1))
        segments.append(Segment(part_box, part[rows[0] : rows[-1] + 1]))
    return segments


def _reading_order(segments: list[Segment]) -> list[Segment]:
    """Lines top to bottom (a digit joins a line when it overlaps the line's rows by half), then left to right."""
    lines: list[list[Segment]] = []
    for segment in sorted(segments, key=lambda s: s.box[1] + s.box[3] / 2):
        _, y, _, height = segment.box
        for line in lines:
            top = min(s.box[1] for s in line)
            bottom = max(s.box[1] + s.box[3] for s in line)
            if min(bottom, y + height) - max(top, y) >= 0.5 * min(height, bottom - top):
                line.append(segment)
                break
        else:
            lines.append([segment])
    return [segment for line in lines for segment in sorted(line, key=lambda s: s.box[0])]


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, width, height = box
    return image[y : y + height, x : x + width]
