import numpy as np
import pytest

from mnist_app.models.model import Predictor
from mnist_app.models.store import load_model_dir, read_evaluation
from mnist_app.training.evaluate import bars_floor, evaluate, per_class_percentages, report


def one_hot_probabilities(predicted, confidence):
    probabilities = np.full((len(predicted), 10), (1 - confidence) / 9, dtype=np.float32)
    probabilities[np.arange(len(predicted)), predicted] = confidence
    return probabilities


def test_report_against_hand_computed_figures():
    labels = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0])
    probabilities = one_hot_probabilities(predicted, 0.91)
    probabilities[5] = one_hot_probabilities([0], 0.99)[0]  # the most confident mistake
    result = report(probabilities, labels)
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["confusion_matrix"][0][:3] == [1, 1, 0]
    assert result["confusion_matrix"][2][:3] == [1, 0, 1]
    # Digit 1: predicted three times, right twice; all two true 1s found.
    row = result["per_class"][1]
    assert (row["precision"], row["recall"], row["support"]) == (pytest.approx(2 / 3), 1.0, 2)
    assert row["f1"] == pytest.approx(0.8)
    assert result["per_class"][5] == {"digit": 5, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert [m["index"] for m in result["misclassified"]] == [5, 1]  # most confident first
    assert result["misclassified"][0] | {"probabilities": None} == {
        "index": 5, "true": 2, "predicted": 0, "confidence": pytest.approx(0.99), "probabilities": None
    }
    expected_loss = -np.mean(np.log(probabilities[np.arange(6), labels]))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-6)


def test_shipped_evaluation_is_consistent_and_reproducible(shipped_model_dir, mnist):
    result = evaluate(Predictor(load_model_dir(shipped_model_dir)), mnist.x_test, mnist.y_test)
    confusion = np.array(result["confusion_matrix"])
    assert confusion.sum() == 10000
    correct = int(np.trace(confusion))
    assert len(result["misclassified"]) == 10000 - correct
    assert result["accuracy"] == pytest.approx(correct / 10000)
    assert confusion.sum(axis=1).tolist() == np.bincount(mnist.y_test, minlength=10).tolist()
    # What was saved beside the model is what the model does now.
    saved = read_evaluation(shipped_model_dir)
    assert saved["confusion_matrix"] == result["confusion_matrix"]
    assert [m["index"] for m in saved["misclassified"]] == [m["index"] for m in result["misclassified"]]
    assert saved["accuracy"] >= 0.997  # 99.71% (docs/figures.md)


def test_per_class_percentages_and_where_their_bars_start():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    predicted = np.array([0, 0, 0, 1, 1, 1, 1, 1])  # one 0 read as 1
    evaluation = report(one_hot_probabilities(predicted, 0.9), labels)
    rows = per_class_percentages(evaluation)
    assert (rows[0]["precision"], rows[0]["recall"], rows[1]["precision"]) == (100.0, 75.0, 80.0)
    assert rows[0]["support"] == 4 and evaluation["per_class"][0]["recall"] == 0.75  # the saved figures are left as they were
    assert bars_floor(rows[:2]) == 75


@pytest.mark.parametrize(
    ("scores", "floor"),
    [([99.22, 99.9, 99.73], 99), ([98.99, 99.5], 98), ([100.0, 100.0], 99), ([0.0, 50.0], 0), ([95.0], 95)],
)
def test_bars_start_at_the_whole_percent_below_the_lowest_score(scores, floor):
    rows = [{"precision": score, "recall": 100.0, "f1": 100.0} for score in scores]
    assert bars_floor(rows) == floor
