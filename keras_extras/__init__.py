"""keras-extras: metrics and callbacks for Keras 3, identical on JAX, PyTorch and
TensorFlow."""

__version__ = "0.1.0"

from keras_extras import callbacks, metrics  # noqa: E402

__all__ = ["__version__", "callbacks", "metrics"]
