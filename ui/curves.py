"""The Training page's charts: how loss and accuracy went, epoch by epoch."""

from __future__ import annotations

import plotly.graph_objects as go

from ui.common import ACCENT


def curves_figure(history: list[dict], metric: str, title: str) -> go.Figure:
    """Training against validation ``metric`` ("loss" or "accuracy") per epoch, from a card's history."""
    epochs = [row["epoch"] for row in history]
    figure = go.Figure(
        [
            go.Scatter(x=epochs, y=[row[metric] for row in history], name="training", mode="lines+markers", line_color="#7F8C9A"),
            go.Scatter(x=epochs, y=[row[f"val_{metric}"] for row in history], name="validation", mode="lines+markers", line_color=ACCENT),
        ]
    )
    figure.update_layout(
        title=title, height=340, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="epoch", dtick=max(1, len(epochs) // 10)),
        yaxis_tickformat=".1%" if metric == "accuracy" else None,
        legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    if metric == "loss":
        figure.update_yaxes(type="log")
    return figure
