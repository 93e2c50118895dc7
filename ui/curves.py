"""The Training page's charts: how loss and accuracy went, epoch by epoch."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from ui.charts import ACCENT

CHART_CONFIG = {"displayModeBar": False}  # plotly's toolbar sat over the legend; zooming an epoch chart is not needed


def curves_chart_ui(history: list[dict], metric: str, title: str, key: str) -> None:
    """The chart of ``curves_figure``, without plotly's toolbar."""
    st.plotly_chart(curves_figure(history, metric, title), key=key, config=CHART_CONFIG)


def curves_figure(history: list[dict], metric: str, title: str) -> go.Figure:
    """Training against validation ``metric`` ("loss" or "accuracy") per epoch, from a card's history."""
    epochs = [row["epoch"] for row in history]
    training, validation = [row[metric] for row in history], [row[f"val_{metric}"] for row in history]
    figure = go.Figure(
        [
            go.Scatter(x=epochs, y=training, name="training", mode="lines+markers", line_color="#7F8C9A"),
            go.Scatter(x=epochs, y=validation, name="validation", mode="lines+markers", line_color=ACCENT),
        ]
    )
    figure.update_layout(
        title=title, height=340, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="epoch", dtick=max(1, len(epochs) // 10)),
        yaxis_tickformat=".1%" if metric == "accuracy" else None,
        legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    if metric == "loss":
        figure.update_yaxes(type="log")
        if len(ticks := log_ticks([*training, *validation])) >= 2:  # else a narrow range: plotly's own labels are few
            figure.update_yaxes(tickvals=ticks, ticktext=[f"{tick:g}" for tick in ticks])
    return figure


def log_ticks(values: list[float], at_least: int = 3) -> list[float]:
    """Few round values for a log axis over ``values``: the decades, or 1-2-5 steps, or 1-2-3-5-7 steps,
    whichever first gives ``at_least`` ticks inside the range (plotly alone labels every minor tick)."""
    positive = [value for value in values if value > 0 and math.isfinite(value)]
    if not positive:
        return []
    low, high = min(positive), max(positive)
    decades = range(math.floor(math.log10(low)), math.floor(math.log10(high)) + 1)
    ticks: list[float] = []
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 5, 7)):
        ticks = [float(f"{m}e{d}") for d in decades for m in mantissas if low <= float(f"{m}e{d}") <= high]
        if len(ticks) >= at_least:
            break
    return ticks
