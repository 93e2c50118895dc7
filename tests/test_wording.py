"""ui/wording.py: the words the pages use for places, digits, probabilities."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.wording import a_digit, ordinal, percent


@pytest.mark.parametrize("probability, shown", [(0.62, "62%"), (0.997, "99.7%"), (1.0, "100%"), (0.004, "0.4%"), (0.0, "0%"),
                                               (0.9951, "99.5%"), (0.99999, "99.9%"), (1e-6, "0.1%"), (0.5, "50%")])
def test_percent(probability, shown):
    assert percent(probability) == shown


@given(st.floats(min_value=0, max_value=1))
def test_percent_never_claims_certainty_that_is_not_there(probability):
    shown = percent(probability)
    assert abs(float(shown.removesuffix("%")) - 100 * probability) <= 0.5
    assert float(shown.removesuffix("%")) < 100 or probability == 1
    assert float(shown.removesuffix("%")) > 0 or probability == 0


def test_ordinals_and_articles():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert [a_digit(d) for d in (7, 8)] == ["a 7", "an 8"] and a_digit(8, bold=True) == "an **8**"
