"""Splitting the ink of an image into digits: segmentation proposes, the model decides.

The ink is cut into pieces: connected blobs, and blobs wide enough to hold touching digits cut again
at their thin columns. Pieces form lines (top to bottom), and within a line they are ordered left to
right. Every run of up to MAX_PIECES neighbouring pieces that could be one digit (not much wider than
the line is high, no wide gap inside) is a candidate. ``recognize`` reads every candidate in one batch
and ``best_grouping`` picks the grouping of pieces into digits whose readings are jointly most probable:
a 4 in two strokes, a 0 with a gap and a 5 with a loose bar stay one digit, because read whole they are
far more certain than their parts, while two touching digits split, because read together they are
not a digit at all (the model is trained to be unsure of such pairs, see nondigits.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_app.reading.ink import Ink, stroke_width

MAX_PIECES = 5  # the most pieces one digit is made of (a 4 in two strokes with a broken bar has three; a
# digit that leans into its neighbours may be cut finer, see _cut_candidates)
MAX_DIGIT_WIDTH = 1.5  # no digit is wider than this many times its line's height
MAX_GAP = 0.35  # nor has a horizontal gap wider than this many line heights between its pieces
CUT_ASPECT = 0.75  # a blob at least this wide against its height may be touching digits: cut candidates
CUT_SPACING = 0.22  # straight cuts at least this many blob heights apart, and from the blob's ends
PATH_ASPECT = 1.0  # only a blob at least this wide against its height gets bending cuts too: one digit rarely is
PATH_SPACING = 0.15  # bending cuts at least this many blob heights apart, and from the others and the ends
FLAT_PIECE = 0.4  # a piece less tall than this share of the median piece joins the nearest line


@dataclass(frozen=True)
class Segment:
    """One digit's place in the image."""

    box: tuple[int, int, int, int]  # (x, y, width, height) in the image's pixels
    mask: np.ndarray  # (height, width) bool: the ink of this digit inside its box
    line: int = 0  # which line of writing it is on, from the top


@dataclass(frozen=True)
class Candidate:
    """Pieces ``first`` to ``last`` (exclusive) of a line, read as one digit."""

    first: int
    last: int
    segment: Segment


@dataclass(frozen=True)
class Line:
    pieces: int  # how many pieces the line's ink was cut into
    candidates: tuple[Candidate, ...]  # every piece alone is one, so a grouping always exists
    height: int  # in pixels, from the top of its highest piece to the bottom of its lowest


@dataclass(frozen=True)
class _Piece:
    box: tuple[int, int, int, int]
    mask: np.ndarray  # (height, width) bool within ``box``


def whole_image(ink: Ink) -> list[Segment]:
    """All the ink as one digit (the drawing page's mode); no segment when there is no ink."""
    if ink.empty:
        return []
    x, y, width, height = ink.box
    return [Segment((x, y, width, height), ink.mask[y : y + height, x : x + width])]


def propose(ink: Ink) -> list[Line]:
    """The lines of writing in the ink, top to bottom, each with its candidate digits."""
    if ink.empty:
        return []
    # The blobs of the ink's box only: labelling costs what the pixels it looks at do.
    box = ink.box
    left, top = box[:2]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(_crop(ink.mask, box).astype(np.uint8), connectivity=8)
    pieces = []
    for index in range(1, count):
        x, y, blob_width, blob_height = (int(v) for v in stats[index, :4])
        blob = labels[y : y + blob_height, x : x + blob_width] == index
        pieces.extend(_cut_candidates((left + x, top + y, blob_width, blob_height), blob))
    return [_line_candidates(line, number) for number, line in enumerate(_lines(pieces))]


def best_grouping(line: Line, scores: list[float]) -> list[int]:
    """The indices of the candidates that cover the line's pieces once each with the highest total score.

    ``scores`` are the log-probabilities of each candidate's reading, so the total is the log of the
    joint probability of the readings. (A cost or a bonus per digit was tried on writers held out of
    training: none read more numbers right than the plain joint probability.)
    """
    best = [0.0] + [-np.inf] * line.pieces
    choice: list[int | None] = [None] * (line.pieces + 1)
    for end in range(1, line.pieces + 1):
        for index, candidate in enumerate(line.candidates):
            if candidate.last == end and best[candidate.first] > -np.inf:
                total = best[candidate.first] + scores[index]
                if total > best[end]:
                    best[end], choice[end] = total, index
    chosen, end = [], line.pieces
    while end > 0:
        chosen.append(choice[end])
        end = line.candidates[choice[end]].first
    return chosen[::-1]


def _cut_candidates(box: tuple[int, int, int, int], mask: np.ndarray) -> list[_Piece]:
    """A blob, cut where it is thin when it is wide enough to be touching digits.

    Two kinds of cut, each through a valley of ink (a flat bar has none; two digits touching have one where
    they meet): straight columns crossing about two strokes at most, and paths from the blob's top to its
    bottom that bend round the strokes (_cut_paths), for digits written so close that they lean into each
    other, where no column passes between a 3 and the 0 it touches (in blobs as wide as they are high, so
    that a single 8 is not cut finer than straight cuts do). Paths are offered closer together, so
    a blob may be cut more finely than into digits: best_grouping puts the pieces back together. Each piece
    keeps the ink on its side of the cuts.
    """
    x, y, width, height = box
    if width < CUT_ASPECT * height:
        return [_Piece(box, mask)]
    column_ink = mask.sum(axis=0)
    thin = 2.5 * max(stroke_width(mask), 1.0)  # about two strokes crossed, at most
    margin = max(4, round(CUT_SPACING * height))  # no cut nearer the blob's ends than this
    cuts = [np.full(height, column) for column in _valleys(column_ink, column_ink, thin, margin, margin)]
    taken = [int(cut[0]) for cut in cuts]
    if width >= PATH_ASPECT * height:
        costs, path_to = _cut_paths(mask)
        for column in _valleys(costs, column_ink, thin, margin, max(4, round(PATH_SPACING * height)), taken):
            cuts.append(path_to(column))
    bounds = [np.zeros(height, int)]
    for cut in sorted(cuts, key=lambda cut: cut.mean()):
        bounds.append(np.maximum(cut, bounds[-1]))  # cuts never cross
    bounds.append(np.full(height, width))
    columns_index = np.arange(width)[np.newaxis, :]
    pieces = []
    for left, right in zip(bounds[:-1], bounds[1:]):
        part = mask & (columns_index >= left[:, np.newaxis]) & (columns_index < right[:, np.newaxis])
        rows, columns = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
        if len(rows):
            top, first = int(rows[0]), int(columns[0])
            part_box = (x + first, y + top, int(columns[-1]) - first + 1, int(rows[-1]) - top + 1)
            pieces.append(_Piece(part_box, part[top : rows[-1] + 1, first : columns[-1] + 1]))
    return pieces


def _valleys(costs: np.ndarray, column_ink: np.ndarray, thin: float, margin: int, spacing: int,
             taken: list[int] | None = None) -> list[int]:
    """The columns where a cut costing ``costs[column]`` (ink crossed) goes through a valley: a local minimum
    of at most ``thin``, with at least twice as much ink in a column on either side. The cheapest first, each
    at least ``margin`` from the blob's ends and ``spacing`` from those before it and the columns ``taken``."""
    width = len(costs)
    # The most ink in a column left of each column, and right of it.
    most_left = np.concatenate([[-np.inf], np.maximum.accumulate(column_ink)[:-1]])
    most_right = np.concatenate([np.maximum.accumulate(column_ink[::-1])[::-1][1:], [-np.inf]])
    minima = [c for c in range(margin, width - margin)
              if costs[c] <= thin and costs[c] <= costs[c - 1] and costs[c] <= costs[c + 1]
              and 2 * costs[c] <= min(most_left[c], most_right[c])]
    chosen, near = [], list(taken or [])
    for column in sorted(minima, key=lambda c: costs[c]):
        if all(abs(column - other) >= spacing for other in near):
            chosen.append(column)
            near.append(column)
    return chosen


BEND_COST = 0.25  # what a cut pays for each pixel it moves sideways, against 1 for each ink pixel it crosses


def _cut_paths(mask: np.ndarray):
    """The cheapest top-to-bottom path through ``mask`` ending at each bottom column: (width,) costs (ink
    pixels crossed plus BEND_COST per sideways step; one step at most per row), and a function from that
    column to the path, (height,) its column in each row."""
    height, width = mask.shape
    ink = mask.astype(np.float32)
    cost = ink[0].copy()
    moves = np.zeros((height, width), np.int8)  # -1, 0 or 1: where the path came from in the row above
    left, right = np.full(width, np.inf, np.float32), np.full(width, np.inf, np.float32)
    for row in range(1, height):
        left[1:] = cost[:-1] + BEND_COST  # from the column to the left
        right[:-1] = cost[1:] + BEND_COST
        # The cheapest of the three, the leftmost on a tie.
        best, move = left.copy(), np.full(width, -1, np.int8)
        for option, step in ((cost, 0), (right, 1)):
            better = option < best
            best[better], move[better] = option[better], step
        moves[row] = move
        cost = best + ink[row]

    def path(column: int) -> np.ndarray:
        columns = np.empty(height, int)
        for row in range(height - 1, -1, -1):
            columns[row] = column
            column += int(moves[row, column])
        return columns

    return cost, path


def _lines(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Pieces in lines, top to bottom, each line left to right.

    Tall pieces make the lines: one joins a line when it overlaps the line's rows by half. Flat pieces
    (a bar lifted above a 5, a dot, a dash) then join the line nearest to them.
    """
    typical = float(np.median([piece.box[3] for piece in pieces]))
    tall = [piece for piece in pieces if piece.box[3] >= FLAT_PIECE * typical]
    lines: list[list[_Piece]] = []
    for piece in sorted(tall, key=lambda p: p.box[1] + p.box[3] / 2):
        _, y, _, height = piece.box
        for line in lines:
            top, bottom = _rows(line)
            if min(bottom, y + height) - max(top, y) >= 0.5 * min(height, bottom - top):
                line.append(piece)
                break
        else:
            lines.append([piece])
    for piece in pieces:
        if piece.box[3] < FLAT_PIECE * typical:
            centre = piece.box[1] + piece.box[3] / 2
            nearest = min(lines, key=lambda line: max(0.0, _rows(line)[0] - centre, centre - _rows(line)[1]))
            nearest.append(piece)
    return [sorted(line, key=lambda p: p.box[0] + p.box[2] / 2) for line in lines]


def _line_candidates(line: list[_Piece], number: int) -> Line:
    top, bottom = _rows(line)
    height = bottom - top
    candidates = []
    for first in range(len(line)):
        for last in range(first + 1, min(len(line), first + MAX_PIECES) + 1):
            group = line[first:last]
            box = _union([piece.box for piece in group])
            if last > first + 1:
                right_so_far = max(p.box[0] + p.box[2] for p in group[:-1])
                if box[2] > MAX_DIGIT_WIDTH * height or group[-1].box[0] - right_so_far > MAX_GAP * height:
                    break
            mask = np.zeros((box[3], box[2]), bool)
            for piece in group:
                px, py, pw, ph = piece.box
                mask[py - box[1] : py - box[1] + ph, px - box[0] : px - box[0] + pw] |= piece.mask
            candidates.append(Candidate(first, last, Segment(box, mask, number)))
    return Line(len(line), tuple(candidates), height)


def _rows(line: list[_Piece]) -> tuple[int, int]:
    return min(p.box[1] for p in line), max(p.box[1] + p.box[3] for p in line)


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, width, height = box
    return image[y : y + height, x : x + width]
