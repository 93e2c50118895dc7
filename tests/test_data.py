import numpy as np
import pytest

from mnist_app.training.data import DataError, load_mnist, to_unit_range


def test_real_file_has_mnist_shapes(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_train.shape == (60000,) and mnist.y_test.shape == (10000,)
    assert mnist.x_train.dtype == np.uint8
    assert set(np.unique(mnist.y_test)) == set(range(10))
    # Known facts of the real data set: the first training label is 5, the first test label is 7.
    assert mnist.y_train[0] == 5 and mnist.y_test[0] == 7


def test_mnist_path_from_environment(npz_factory, monkeypatch):
    path = npz_factory()
    monkeypatch.setenv("MNIST_PATH", str(path))
    data = load_mnist()
    assert data.x_train.shape == (30, 28, 28) and data.y_test.shape == (10,)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.npz: no such file"):
        load_mnist(tmp_path / "nowhere.npz")


def test_text_file_is_not_an_npz(tmp_path):
    path = tmp_path / "fake.npz"
    path.write_text("these are not the arrays you are looking for")
    with pytest.raises(DataError, match=r"fake\.npz: not a readable \.npz file"):
        load_mnist(path)


def test_truncated_file(npz_factory):
    path = npz_factory()
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match=r"mnist\.npz: not a readable \.npz file"):
        load_mnist(path)


def test_missing_array(npz_factory):
    with pytest.raises(DataError, match=r"missing arrays y_test"):
        load_mnist(npz_factory(drop=("y_test",)))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"x_train": np.zeros((30, 28, 27), np.uint8)}, r"x_train has shape \(30, 28, 27\)"),
        ({"x_test": np.zeros((10, 784), np.uint8)}, r"x_test has shape \(10, 784\)"),
        ({"x_train": np.zeros((30, 28, 28), np.float32)}, r"x_train has dtype float32; expected uint8"),
        ({"y_train": np.zeros(29, np.uint8)}, r"y_train has shape \(29,\); expected \(30,\)"),
        ({"y_test": np.full(10, 10, np.uint8)}, r"y_test has labels from 10 to 10; expected 0 to 9"),
        ({"y_test": np.zeros(10, np.float64)}, r"y_test has dtype float64; expected integers"),
    ],
)
def test_malformed_arrays(npz_factory, overrides, message):
    with pytest.raises(DataError, match=message):
        load_mnist(npz_factory(**overrides))


def test_pickled_objects_are_refused(npz_factory):
    objects = np.array([{"x": 1}] * 10, dtype=object)
    with pytest.raises(DataError, match=r"not a readable \.npz file.*allow_pickle"):
        load_mnist(npz_factory(y_test=objects))


def test_to_unit_range_scales_to_floats():
    images = np.array([[0, 51, 255]], dtype=np.uint8)
    scaled = to_unit_range(images)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 0.2, 1.0]])
