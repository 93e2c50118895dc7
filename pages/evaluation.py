"""Evaluation: test metrics, the confusion matrix and every misclassified test image, from saved files."""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import math
from functools import partial

import streamlit as st

from mnist_app.training.evaluate import bars_floor, mistakes, per_class_percentages
from ui.charts import matrix_figure, matrix_table, probabilities_figure
from ui.inside import inside_link_ui
from ui.pictures import image_grid_ui, pixels_ui
from ui.resources import active_model, evaluated_test_images_ui, evaluation_of
from ui.screen import NARROW_BELOW, room_width_ui
from ui.wording import percent

PAGE_SIZE = 44  # mistakes to a page: full rows at the usual widths, eleven of four on a phone, four of eleven on a laptop
# Pixels per image in the grids: 76 (82 with the helper's margin) puts four in a row on a phone 360 pixels wide
# or wider (84 would leave three on a 390-pixel one), eleven on a laptop.
GRID_SIZE = 76
ANY = "any"
TABLE_INDEX_WIDTH, TABLE_CELL_WIDTH = 44, 31  # the matrix as a table on a phone: 354 pixels, within a 390-pixel screen

st.title("How well the model does on MNIST's test set")
version = active_model().version
evaluation = evaluation_of(version.path)
st.session_state.setdefault("evaluation_true", ANY)
st.session_state.setdefault("evaluation_predicted", ANY)
st.session_state.setdefault("evaluation_page", 1)

summary = st.container(horizontal=True)  # wraps: two metrics to a row on a phone, not one
metric = partial(summary.metric, width=150)
metric("Accuracy", f"{evaluation['accuracy']:.2%}")
metric("Loss", f"{evaluation['loss']:.4f}")
metric("Mistakes", f"{len(evaluation['misclassified'])}", f"of {evaluation['count']:,}", delta_color="off", delta_arrow="off")
metric("Worst digit (F1)", min(evaluation["per_class"], key=lambda row: row["f1"])["digit"])


def select_cell(key: str) -> None:
    """A click on a cell of the matrix sets the two filters below it."""
    points = st.session_state[key].selection.points
    if points:
        show_cell(int(points[0]["y"]), int(points[0]["x"]))


def select_table_cell(key: str) -> None:
    """A tap on a cell of the matrix's table (on a phone) sets the two filters below it."""
    cells = st.session_state[key].selection.cells
    if cells:
        show_cell(int(cells[0][0]), int(cells[0][1]))  # (row, column name): the true digit, the one read


def show_cell(true: int, predicted: int) -> None:
    """The mistakes of one cell below the matrix, from their first page."""
    st.session_state.evaluation_true, st.session_state.evaluation_predicted = true, predicted
    st.session_state.evaluation_page = 1


def outlined(true: int, predicted: int, count: int) -> bool:
    """Whether the filters below the matrix show this cell's mistakes: the cell both filters name, or every
    cell with mistakes in the row or column that one filter names."""
    wanted_true, wanted_predicted = st.session_state.evaluation_true, st.session_state.evaluation_predicted
    if wanted_true != ANY and wanted_predicted != ANY:
        return (true, predicted) == (wanted_true, wanted_predicted)
    if wanted_true == wanted_predicted == ANY or true == predicted or not count:
        return False
    return true == wanted_true or predicted == wanted_predicted


# The table first and the matrix beside it: on a phone, where columns stack, the matrix and its "click a
# cell" then sit right above the mistakes it filters.
narrow = room_width_ui(key="evaluation_room", fallback=NARROW_BELOW) < NARROW_BELOW
left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Per digit")
    rows = per_class_percentages(evaluation)
    st.dataframe(  # narrow enough for a phone's 358 pixels, every column in view
        [{"digit": r["digit"], "precision": r["precision"], "recall": r["recall"], "F1": r["f1"], "images": r["support"]} for r in rows],
        hide_index=True, height="content",
        column_config={
            "digit": st.column_config.NumberColumn("digit", width=45),
            "images": st.column_config.NumberColumn("images", width=55),
            **{name: st.column_config.ProgressColumn(name, format="%.2f%%", min_value=bars_floor(rows), max_value=100,
                                                     width=80, help=f"Bars start at {bars_floor(rows)}%.")
               for name in ("precision", "recall", "F1")},
        },
    )
with right:
    st.subheader("Confusion matrix")
    # A chart of its own for each pair of filters: the cell a click selected (which plotly keeps selected, the
    # rest dimmed) is forgotten as soon as the filters name another cell or none.
    matrix_key = f"evaluation_matrix_{st.session_state.evaluation_true}_{st.session_state.evaluation_predicted}"
    if narrow:  # a phone: a table, whose cells one tap selects (plotly's points take two taps on a touch screen)
        st.dataframe(matrix_table(evaluation["confusion_matrix"], outlined), key=f"{matrix_key}_table", height="content",
                     on_select=partial(select_table_cell, f"{matrix_key}_table"), selection_mode="single-cell",
                     column_config={"_index": st.column_config.NumberColumn("true", width=TABLE_INDEX_WIDTH),
                                    **{str(digit): st.column_config.TextColumn(str(digit), width=TABLE_CELL_WIDTH) for digit in range(10)}})
        st.caption("Rows: the true digit; columns: what it was read as; the shaded diagonal, the digits read right. "
                   "Tap a cell to see those mistakes below.")
    else:
        st.plotly_chart(matrix_figure(evaluation["confusion_matrix"], outlined), key=matrix_key, on_select=partial(select_cell, matrix_key),
                        selection_mode="points", config={"displayModeBar": False})
        st.caption("Click a cell to see those mistakes below.")

st.subheader("The mistakes, most confident first")
filters = st.container(horizontal=True, vertical_alignment="bottom")  # wraps on a phone, where columns stack
true = filters.selectbox("True digit", [ANY, *range(10)], key="evaluation_true", width=130)
predicted = filters.selectbox("Predicted as", [ANY, *range(10)], key="evaluation_predicted", width=130)
shown = mistakes(evaluation, None if true == ANY else true, None if predicted == ANY else predicted)
pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
st.session_state.evaluation_page = min(st.session_state.evaluation_page, pages)
page = filters.number_input(f"Page (of {pages})", min_value=1, max_value=pages, key="evaluation_page", width=130)

if not shown:
    st.success("No mistakes with these labels.", icon=":material/check_circle:")
elif (test_images := evaluated_test_images_ui(evaluation)) is not None:
    current = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    # Short captions ("4 → 9 · 97%") fit under the image on one line; the index is in "Look closer at".
    image_grid_ui(test_images[[mistake["index"] for mistake in current]],
                  [f"{m['true']} → {m['predicted']} · {percent(m['confidence'])}" for m in current], size=GRID_SIZE)
    choice = st.selectbox("Look closer at", current, format_func=lambda m: f"#{m['index']}: a {m['true']} read as {m['predicted']}",
                          key="evaluation_example")
    image_column, chart_column = st.columns([1, 2])
    with image_column:
        pixels_ui(test_images[choice["index"]], size=196, caption=f"test image #{choice['index']}, labelled {choice['true']}")
    with chart_column:
        st.plotly_chart(probabilities_figure(choice["probabilities"]), key="evaluation_probabilities", config={"displayModeBar": False})
        st.caption("The model's plain scores for this test image, which the test accuracy counts. The Draw and Upload "
                   "pages and Inside the model calibrate them and average over small turns of the image, so their "
                   "figures can differ a little.")
        inside_link_ui(choice["index"], version.id)
