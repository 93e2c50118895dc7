"""Evaluation: test metrics, the confusion matrix and every misclassified test image, from saved files."""

import math

import plotly.graph_objects as go
import streamlit as st

from mnist_app.evaluate import mistakes
from ui.common import active_model, evaluation_of, mnist_split_ui, pixels_ui, probabilities_figure

PAGE_SIZE, GRID_COLUMNS = 24, 8
ANY = "any"

st.title("How well the model does on MNIST's test set")
evaluation = evaluation_of(active_model().version.path)
st.session_state.setdefault("evaluation_true", ANY)
st.session_state.setdefault("evaluation_predicted", ANY)
st.session_state.setdefault("evaluation_page", 1)

summary = st.columns(4)
summary[0].metric("Accuracy", f"{evaluation['accuracy']:.2%}")
summary[1].metric("Loss", f"{evaluation['loss']:.4f}")
summary[2].metric("Mistakes", f"{len(evaluation['misclassified'])}", f"of {evaluation['count']:,}", delta_color="off", delta_arrow="off")
summary[3].metric("Worst digit (F1)", min(evaluation["per_class"], key=lambda row: row["f1"])["digit"])


def select_cell() -> None:
    """A click on a cell of the matrix sets the two filters below it."""
    points = st.session_state.evaluation_matrix.selection.points
    if points:
        st.session_state.evaluation_true = int(points[0]["y"])
        st.session_state.evaluation_predicted = int(points[0]["x"])
        st.session_state.evaluation_page = 1


def matrix_figure(confusion: list[list[int]]) -> go.Figure:
    """The confusion matrix as clickable squares: rows true digits, columns predictions, log colour scale."""
    cells = [(true, predicted, confusion[true][predicted]) for true in range(10) for predicted in range(10)]
    figure = go.Figure(
        go.Scatter(
            x=[p for _, p, _ in cells], y=[t for t, _, _ in cells], mode="markers+text",
            marker=dict(symbol="square", size=34, color=[math.log10(1 + n) for *_, n in cells], colorscale="Reds",
                        line=dict(width=1, color="#444")),
            text=[str(n) if n else "" for *_, n in cells],
            textfont=dict(color=["white" if n > 100 else "#222" for *_, n in cells], size=11),
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    axis = dict(tickmode="array", tickvals=list(range(10)), range=[-0.6, 9.6], showgrid=False, zeroline=False)
    figure.update_layout(
        height=430, width=430, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
        xaxis=dict(axis, title="predicted", side="top"), yaxis=dict(axis, title="true", autorange="reversed"),
    )
    return figure


left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Confusion matrix")
    st.plotly_chart(matrix_figure(evaluation["confusion_matrix"]), key="evaluation_matrix", on_select=select_cell,
                    selection_mode="points", config={"displayModeBar": False})
    st.caption("Click a cell to see those mistakes below.")
with right:
    st.subheader("Per digit")
    st.dataframe(
        [{"digit": r["digit"], "precision": r["precision"], "recall": r["recall"], "F1": r["f1"], "images": r["support"]}
         for r in evaluation["per_class"]],
        hide_index=True, height=400,
        column_config={
            "digit": st.column_config.NumberColumn("digit", width="small"),
            "images": st.column_config.NumberColumn("images", width="small"),
            **{name: st.column_config.ProgressColumn(name, format="percent", min_value=0.95, max_value=1.0, width="small")
               for name in ("precision", "recall", "F1")},
        },
    )

st.subheader("The mistakes, most confident first")
filters = st.columns([1, 1, 2], vertical_alignment="bottom")
true = filters[0].selectbox("True digit", [ANY, *range(10)], key="evaluation_true")
predicted = filters[1].selectbox("Predicted as", [ANY, *range(10)], key="evaluation_predicted")
shown = mistakes(evaluation, None if true == ANY else true, None if predicted == ANY else predicted)
pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
st.session_state.evaluation_page = min(st.session_state.evaluation_page, pages)
page = filters[2].number_input(f"Page (of {pages})", min_value=1, max_value=pages, key="evaluation_page")

if not shown:
    st.success("No mistakes with these labels.", icon=":material/check_circle:")
else:
    test_images, _ = mnist_split_ui("test")
    current = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    for row in range(0, len(current), GRID_COLUMNS):
        for column, mistake in zip(st.columns(GRID_COLUMNS), current[row : row + GRID_COLUMNS]):
            with column:
                pixels_ui(test_images[mistake["index"]], size=84,
                          caption=f"#{mistake['index']}: {mistake['true']} → {mistake['predicted']} ({mistake['confidence']:.0%})")
    choice = st.selectbox("Look closer at", current, format_func=lambda m: f"#{m['index']}: a {m['true']} read as {m['predicted']}",
                          key="evaluation_example")
    image_column, chart_column = st.columns([1, 2])
    with image_column:
        pixels_ui(test_images[choice["index"]], size=196, caption=f"test image #{choice['index']}, labelled {choice['true']}")
    with chart_column:
        st.plotly_chart(probabilities_figure(choice["probabilities"]), key="evaluation_probabilities", config={"displayModeBar": False})
