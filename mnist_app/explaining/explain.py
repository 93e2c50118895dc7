"""What a model makes of one 28x28 input: why it answered as it did, and what each of its layers sees.

    saliency        integrated gradients (Sundararajan et al., 2017) of a digit's score (its logit, the
                    value before softmax) over the input, from a black image along a straight path
    feature_maps    the output of every convolution (after its batch normalisation and ReLU), per block
    first_filters   the first convolution's 3x3 filters, scaled as its batch normalisation scales them
    templates       for a network without convolutions: the 28x28 weights each digit's score puts on the
                    pixels (the dense baseline is linear once its hidden units are known)

Integrated gradients passes the sanity checks for saliency maps that plain gradients and guided
backpropagation fail (Adebayo et al., 2018: a model with random weights gives another map), and it is
complete: a map's pixels add up to the score of the input less the score of a black image, so a blank
input has a blank map. The tests check all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from mnist_app.models.model import members_of
from mnist_app.reading.confidence import steady

# The 2x2 poolings make the gradients of neighbouring pixels alternate in sign, a checkerboard that says
# nothing about the digit; summed over a pixel's neighbours (a Gaussian of 0.8 pixels: mostly its 3x3), the
# map shows which parts of the strokes count.
SMOOTHING = 0.8
STEPS = 64  # points on the path from black to the input: the map correlates at 0.999 with 512 points


@dataclass(frozen=True)
class LayerMaps:
    """The feature maps of one convolution for one input, and their order of strength."""

    name: str  # "Block 1, convolution 2"
    block: int  # 1, 2...: a pooling layer ends a block
    maps: np.ndarray  # (channels, height, width) float32, ReLU outputs (>= 0)
    order: np.ndarray  # (channels,) channel indices, the strongest map (highest mean) first

    @property
    def blank(self) -> int:
        """How many maps are zero everywhere for this input."""
        return int((self.maps.reshape(len(self.maps), -1).max(axis=1) <= 0).sum())


class Explainer:
    """A trained model's probabilities, saliency maps, feature maps and weights, for one input at a time.

    ``model`` takes (N, 28, 28) floats in [0, 1] and ends with a Dense layer of 10 units with softmax, as
    every model of model.py does, or is an ensemble of such networks (model.make_ensemble); ``temperature``
    is its calibration (see calibrate.py). An ensemble's answers are its own (the mean of its members'
    probabilities), its scores the mean of its members' logits, so that its saliency maps are the mean of
    theirs; its layers and weights are those of its first member (``self.model``), one of ``self.members``.
    """

    def __init__(self, model: keras.Model, temperature: float = 1.0, steps: int = STEPS):
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        members = members_of(model)
        member_logits = [_logits_of(member) for member in members]
        self.model = members[0]  # the network whose layers and weights are shown
        self.members = len(members)
        self.temperature = temperature
        self.steps = steps
        self._logits = lambda images: tf.add_n([logits(images) for logits in member_logits]) / len(member_logits)
        self._convolutions = _convolution_outputs(self.model)
        self._maps = keras.Model(self.model.inputs, [output for *_, output in self._convolutions]) if self._convolutions else None
        # Everything runs as traced functions: a Keras model called eagerly costs ~10 ms of Python per call.
        batch = tf.TensorSpec(shape=(None, 28, 28), dtype=tf.float32)
        self._scores = tf.function(self._logits, input_signature=[batch])
        self._probabilities = tf.function(lambda images: model(images, training=False), input_signature=[batch])
        if self._maps is not None:
            self._feature_maps = tf.function(lambda images: self._maps(images, training=False), input_signature=[batch])
        spec = tf.TensorSpec(shape=(28, 28), dtype=tf.float32)
        self._saliency = tf.function(self._integrated_gradients, input_signature=[spec, tf.TensorSpec(shape=(None,), dtype=tf.int32)])
        self._jacobian = tf.function(self._logit_jacobian, input_signature=[spec])

    @property
    def has_convolutions(self) -> bool:
        return bool(self._convolutions)

    def logits(self, image: np.ndarray) -> np.ndarray:
        """(28, 28) -> (10,) float32 scores before softmax."""
        return self._scores(_batch_of_one(image)).numpy()[0]

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """(28, 28) -> (10,) float32 calibrated probabilities, as the app reports them (confidence.steady)."""
        return steady(lambda views: self._probabilities(views).numpy(), _batch_of_one(image).numpy(), self.temperature)[0]

    def saliency(self, image: np.ndarray, digits: list[int], smoothing: float = SMOOTHING) -> np.ndarray:
        """(28, 28) input -> (len(digits), 28, 28) float32 integrated gradients of each digit's score,
        each pixel's summed with its neighbours' by a Gaussian of ``smoothing`` pixels (0: as computed).

        A positive pixel raises the digit's score above what a black image gets, a negative one lowers it.
        The map of one digit less the map of another is what pushes towards the first rather than the
        second (the method is linear in the score).
        """
        if not digits or any(not 0 <= digit <= 9 for digit in digits):
            raise ValueError(f"digits must be a non-empty list of 0 to 9, got {digits}")
        maps = self._saliency(_checked(image), tf.constant(digits, tf.int32)).numpy()
        if smoothing <= 0:
            return maps
        return np.stack([cv2.GaussianBlur(map_, (0, 0), smoothing, borderType=cv2.BORDER_CONSTANT) for map_ in maps])

    def contrast(self, image: np.ndarray, digit: int, other: int) -> np.ndarray:
        """(3, 28, 28) float32: the maps of ``digit``, of ``other``, and of ``digit`` rather than ``other``."""
        maps = self.saliency(image, [digit, other])
        return np.concatenate([maps, maps[:1] - maps[1:]])

    def _integrated_gradients(self, image: tf.Tensor, digits: tf.Tensor) -> tf.Tensor:
        # The midpoints of STEPS equal steps from black (0) to the image: (steps, 28, 28), one forward pass,
        # then the gradient of each digit's score at every point.
        alphas = (tf.range(self.steps, dtype=tf.float32) + 0.5) / self.steps
        points = alphas[:, None, None] * image[None]
        with tf.GradientTape() as tape:
            tape.watch(points)
            scores = tf.gather(self._logits(points), digits, axis=1)  # (steps, digits)
        gradients = tape.batch_jacobian(scores, points)  # (steps, digits, 28, 28)
        return tf.reduce_mean(gradients, axis=0) * image[None]  # (digits, 28, 28): (input - black) x mean gradient

    def feature_maps(self, image: np.ndarray) -> list[LayerMaps]:
        """Every convolution's maps for this input, in the model's order; [] for a model without any."""
        if self._maps is None:
            return []
        outputs = self._feature_maps(_batch_of_one(image))
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        result = []
        for (block, position, _), output in zip(self._convolutions, outputs):
            maps = np.moveaxis(np.asarray(output)[0], -1, 0)  # (H, W, C) -> (C, H, W)
            order = np.argsort(-maps.mean(axis=(1, 2)), kind="stable")
            result.append(LayerMaps(f"Block {block}, convolution {position}", block, maps, order))
        return result

    def first_filters(self) -> np.ndarray | None:
        """(filters, height, width) float32 weights of the first convolution over the (one-channel) input,
        each multiplied by the scale its batch normalisation gives it; None for a model without convolutions."""
        convolutions = [layer for layer in self.model.layers if isinstance(layer, layers.Conv2D)]
        if not convolutions:
            return None
        first = convolutions[0]
        kernel = np.asarray(first.kernel)[:, :, 0, :]  # (3, 3, 1, C) -> (3, 3, C)
        following = self.model.layers[self.model.layers.index(first) + 1]
        if isinstance(following, layers.BatchNormalization):
            gamma = np.asarray(following.gamma) if following.scale else 1.0
            kernel = kernel * gamma / np.sqrt(np.asarray(following.moving_variance) + following.epsilon)
        return np.moveaxis(kernel, -1, 0).astype(np.float32)

    def templates(self, image: np.ndarray | None = None) -> np.ndarray:
        """(10, 28, 28) float32: what each digit's score weighs each pixel by, for a model without convolutions.

        For ``image``, the exact weights the network puts on its pixels (the gradient of each score: the
        network is linear once its ReLUs are known, so a score is the pixels times its template plus a
        constant). Without an image, the product of the Dense layers' weights, all hidden units counted.
        """
        if self.has_convolutions:
            raise ValueError(f"model {self.model.name!r} has convolutions: its weights are no 28x28 templates")
        if image is not None:
            return self._jacobian(_checked(image)).numpy()
        product = None
        for layer in self.model.layers:
            if isinstance(layer, layers.Dense):
                kernel = np.asarray(layer.kernel)
                product = kernel if product is None else product @ kernel
        return np.moveaxis(product.reshape(28, 28, 10), -1, 0).astype(np.float32)

    def _logit_jacobian(self, image: tf.Tensor) -> tf.Tensor:
        points = image[None]
        with tf.GradientTape() as tape:
            tape.watch(points)
            scores = self._logits(points)
        return tape.jacobian(scores, points)[0, :, 0]  # (1, 10, 1, 28, 28) -> (10, 28, 28)


def _logits_of(network: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """(N, 28, 28) -> (N, 10) scores before the softmax of ``network``'s last layer, a Dense of 10 units."""
    last = network.layers[-1]
    if not isinstance(last, layers.Dense) or last.units != 10:
        raise ValueError(f"model {network.name!r} must end with a Dense layer of 10 units, not {type(last).__name__}")
    features = keras.Model(network.inputs, last.input)  # everything before the last layer's softmax
    return lambda images: tf.matmul(features(images, training=False), last.kernel) + last.bias


def load_explainer(model_dir: str | Path) -> Explainer:
    """The explainer of the model stored in ``model_dir``, with its calibration."""
    from mnist_app.models.store import load_model_dir, read_card, temperature_of

    card = read_card(model_dir)
    return Explainer(load_model_dir(model_dir), temperature=temperature_of(card))


def _convolution_outputs(model: keras.Model) -> list[tuple[int, int, keras.KerasTensor]]:
    """(block, position in the block, output) for each Conv2D, its output taken after the batch
    normalisation and activation that follow it; a pooling layer ends a block."""
    outputs, block, position = [], 1, 0
    model_layers = model.layers
    for index, layer in enumerate(model_layers):
        if isinstance(layer, layers.MaxPooling2D) and position:
            block, position = block + 1, 0
        if not isinstance(layer, layers.Conv2D):
            continue
        position += 1
        output = layer.output
        for following in model_layers[index + 1 :]:
            if not isinstance(following, (layers.BatchNormalization, layers.Activation)):
                break
            output = following.output
        outputs.append((block, position, output))
    return outputs


def _checked(image: np.ndarray) -> tf.Tensor:
    image = np.asarray(image, dtype=np.float32)
    if image.shape != (28, 28):
        raise ValueError(f"expected one image of shape (28, 28), got {image.shape}")
    return tf.constant(image)


def _batch_of_one(image: np.ndarray) -> tf.Tensor:
    return _checked(image)[None]
