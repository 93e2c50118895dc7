"""Charts: a bar per digit for a model's probabilities or a data set's counts, and the confusion matrix as clickable squares."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.wording import percent

ACCENT = "#FF4B4B"
OUTLINE = "#1565C0"  # a blue that stands out on every shade of the red scale


def probabilities_figure(probabilities: np.ndarray, height: int = 260, highlight: bool = True) -> go.Figure:
    """A bar per digit, the most likely one in the accent colour (unless ``highlight`` is off: no digit)."""
    best = int(np.argmax(probabilities)) if highlight else -1
    figure = go.Figure(
        go.Bar(
            x=[str(digit) for digit in range(10)],
            y=list(map(float, probabilities)),
            marker_color=[ACCENT if digit == best else "#7F8C9A" for digit in range(10)],
            text=[percent(p) if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1.15], tickformat=".0%", title=None),
        xaxis=dict(title=None, type="category"), showlegend=False,
    )
    return figure


def matrix_figure(confusion: list[list[int]], outlined: Callable[[int, int, int], bool]) -> go.Figure:
    """The confusion matrix as clickable squares: rows true digits, columns predictions, log colour scale.
    The cells for which ``outlined(true, predicted, count)`` holds are outlined (those the page's filters show)."""
    cells = [(true, predicted, confusion[true][predicted]) for true in range(10) for predicted in range(10)]
    chosen = [outlined(*cell) for cell in cells]
    figure = go.Figure(
        go.Scatter(
            x=[p for _, p, _ in cells], y=[t for t, _, _ in cells], mode="markers+text",
            marker=dict(symbol="square", size=34, color=[math.log10(1 + n) for *_, n in cells], colorscale="Reds",
                        line=dict(width=[4 if c else 1 for c in chosen], color=[OUTLINE if c else "#444" for c in chosen])),
            text=[str(n) if n else "" for *_, n in cells],
            textfont=dict(color=["white" if n > 100 else "#222" for *_, n in cells], size=11),
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
            # Plotly dims what a click leaves unselected to a fifth: keep the other counts readable. (A selected
            # text colour of its own keeps the unselected texts in theirs.)
            selected=dict(marker=dict(opacity=1.0), textfont=dict(color="black")),
            unselected=dict(marker=dict(opacity=0.75)),
        )
    )
    axis = dict(tickmode="array", tickvals=list(range(10)), range=[-0.6, 9.6], showgrid=False, zeroline=False)
    figure.update_layout(
        height=430, width=430, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
        xaxis=dict(axis, title="predicted", side="top"), yaxis=dict(axis, title="true", autorange="reversed"),
    )
    return figure


def counts_figure(train_counts: np.ndarray, test_counts: np.ndarray) -> go.Figure:
    """How many images of each digit the training and the test set hold, side by side."""
    figure = go.Figure(
        [
            go.Bar(name="train", x=[str(d) for d in range(10)], y=list(map(int, train_counts)), marker_color="#7F8C9A"),
            go.Bar(name="test", x=[str(d) for d in range(10)], y=list(map(int, test_counts)), marker_color=ACCENT),
        ]
    )
    # A category axis labels every digit (a numeric one labels every other digit when the chart is narrow);
    # the legend sits above the bars, clear of them on a phone's narrow chart.
    figure.update_layout(barmode="group", height=300, margin=dict(l=10, r=10, t=30, b=10),
                         xaxis=dict(title="digit", type="category"), yaxis_title="images",
                         legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return figure


def matrix_table(confusion: list[list[int]], outlined: Callable[[int, int, int], bool]) -> pd.io.formats.style.Styler:
    """The confusion matrix as a table whose cells one tap selects, for touch screens (a plotly chart selects a
    point on the second tap there, the first only shows its tooltip): rows true digits, columns predictions,
    the same log colour scale, and the cells for which ``outlined(true, predicted, count)`` holds in blue.
    The diagonal (the digits read right, up to 1,135) is shaded without its count, which a phone's column
    has no room for; every mistake's count is shown."""
    top = math.log10(1 + max(max(row) for row in confusion))

    def style(true: int, predicted: int, count: int) -> str:
        if outlined(true, predicted, count):
            return f"background-color: {OUTLINE}; color: white; font-weight: bold"
        shade = math.log10(1 + count) / top if top else 0.0
        return f"background-color: rgba(255, 75, 75, {shade:.2f}); color: #FAFAFA"

    index, columns = pd.Index(range(10), name="true"), [str(digit) for digit in range(10)]
    shown = pd.DataFrame([["" if true == predicted or not count else str(count) for predicted, count in enumerate(row)]
                          for true, row in enumerate(confusion)], index=index, columns=columns)
    styles = pd.DataFrame([[style(true, predicted, count) for predicted, count in enumerate(row)] for true, row in enumerate(confusion)],
                          index=index, columns=columns)
    return shown.style.apply(lambda _: styles, axis=None)
