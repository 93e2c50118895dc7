import numpy as np
import pytest

from mnist_app.handwriting import nondigits


@pytest.mark.parametrize("kind", nondigits.KINDS)
def test_every_kind_is_drawn_on_the_canvas_like_a_user_draws(kind, training_writers):
    rng = np.random.default_rng(0)
    for _ in range(20):
        canvas = nondigits.make(kind, rng, training_writers[:200])
        rows, columns = np.nonzero(canvas > 127)
        assert canvas.shape == (280, 280) and canvas.dtype == np.uint8
        assert len(rows) > 20, f"{kind}: no ink"
        assert canvas[0].max() < 255 or canvas[-1].max() < 255 or rows.min() > 0  # not a frame of ink


def test_letters_and_symbols_are_written_in_the_fonts_asked_for():
    def drawn(fonts):
        return nondigits.make("letter", np.random.default_rng(1), fonts=fonts)

    assert not np.array_equal(drawn(nondigits.TRAINING_FONTS), drawn(nondigits.HELD_OUT_FONTS))
    assert not set(nondigits.TRAINING_FONTS) & set(nondigits.HELD_OUT_FONTS)
    assert not set(nondigits.LETTERS + nondigits.SYMBOLS) & set("0123456789OoIlSZB")


def test_unknown_kinds_and_digit_kinds_without_digits_are_refused():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="unknown kind 'smiley'"):
        nondigits.make("smiley", rng)
    with pytest.raises(ValueError, match="'two digits' drawings need pen-drawn digits"):
        nondigits.make("two digits", rng)


def test_the_training_mix_leaves_out_the_digit_kinds_without_a_pen_file(tmp_path):
    images = nondigits.non_digit_training_set(40, seed=0, cache_dir=tmp_path)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    assert images.reshape(40, -1).max(axis=1).min() > 100  # every one has ink, through the app's preprocessing
    cached = list(tmp_path.glob("nondigits-*.npz"))
    assert len(cached) == 1
    np.testing.assert_array_equal(nondigits.non_digit_training_set(40, seed=0, cache_dir=tmp_path), images)
    assert sum(sum(drawing.any() for drawing in nondigits.training_drawings(5, np.random.default_rng(3), None)) for _ in range(2)) == 10
