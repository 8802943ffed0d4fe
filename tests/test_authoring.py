"""The authoring kit is what the library itself uses, and works for a user's metric."""

import ast
import pathlib

import keras
import numpy as np
import pytest
from helpers import compiled_metrics, pass_through_model
from keras import ops

import keras_extras.metrics as metrics
from keras_extras import authoring
from keras_extras.metrics import calibration, distribution
from keras_extras.metrics.confusion import state
from keras_extras.metrics.ranking import curves, histograms

PACKAGE_DIR = pathlib.Path(authoring.__file__).parent


def test_every_library_metric_is_built_on_the_public_base_class():
    for name in metrics.__all__:
        assert issubclass(getattr(metrics, name), authoring.ExtrasMetric), name


def test_library_modules_use_the_same_objects():
    assert state.classification_inputs is authoring.classification_inputs
    assert state.CompensatedSum is authoring.CompensatedSum
    assert curves.ExtrasMetric is authoring.ExtrasMetric
    assert calibration.probability_inputs is authoring.probability_inputs
    assert histograms.weighted_bincount is authoring.weighted_bincount
    assert distribution.class_probabilities is authoring.class_probabilities
    assert issubclass(distribution.UniformKLDivergence, authoring.PerSampleMean)


def test_each_public_helper_is_defined_once_in_the_package():
    definitions = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            overload = any(
                getattr(decorator, "id", None) == "overload"
                for decorator in getattr(node, "decorator_list", [])
            )  # typing stubs of one function
            if (
                isinstance(node, ast.FunctionDef | ast.ClassDef)
                and node.name in authoring.__all__
                and not overload
            ):
                definitions.setdefault(node.name, []).append(path.name)
    # Methods may share a name (e.g. no method is called `safe_divide`); top-level
    # definitions of the kit's names appear once.
    assert {name: len(files) for name, files in definitions.items()} == {
        name: 1 for name in authoring.__all__
    }


def test_every_public_helper_is_documented():
    for name in authoring.__all__:
        assert (getattr(authoring, name).__doc__ or "").strip(), name


class MeanLogit(authoring.PerSampleMean):
    """Mean of `scale * y_pred` (a test metric, registered by its base class)."""

    direction = "down"
    config_fields = ("scale",)

    def __init__(self, scale=1.0, name="mean_logit", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.scale = authoring.check_number("scale", scale, 0.0, None)

    def per_sample(self, y_true, y_pred):
        return ops.multiply(ops.cast(y_pred, "float32")[..., 0], self.scale)


def test_user_metric_gets_config_registration_and_direction(tmp_path):
    metric = MeanLogit(scale=2.0)
    assert metric.get_config() == {
        "name": "mean_logit",
        "dtype": metric.dtype,
        "scale": 2.0,
    }
    assert MeanLogit.from_config(metric.get_config()).scale == 2.0
    assert metric._direction == "down"
    registered = keras.saving.get_registered_name(MeanLogit)
    # Registered under the top-level module that defines the class.
    assert registered == f"{MeanLogit.__module__.split('.')[0]}>MeanLogit"

    x = np.array([[1.0], [3.0], [5.0]], dtype="float32")
    model = pass_through_model(x.shape, [MeanLogit(scale=2.0)])
    expected = model.evaluate(x, x, sample_weight=np.array([1.0, 1.0, 2.0]), verbose=0)
    assert np.isclose(expected[1], 2.0 * (1 + 3 + 2 * 5) / 4)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects
    reloaded = loaded.evaluate(x, x, sample_weight=np.array([1.0, 1.0, 2.0]), verbose=0)
    assert any(isinstance(m, MeanLogit) for m in compiled_metrics(loaded))
    assert np.allclose(reloaded, expected)


def test_registration_package_can_be_chosen():
    class Named(authoring.ExtrasMetric):
        registration_package = "my_project"

        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return ops.zeros(())

    assert keras.saving.get_registered_name(Named) == "my_project>Named"


def test_config_fields_must_name_attributes():
    class Forgetful(authoring.ExtrasMetric):
        config_fields = ("alpha",)

        def __init__(self, alpha=1.0, name="forgetful", dtype=None):
            super().__init__(name=name, dtype=dtype)

        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return ops.zeros(())

    with pytest.raises(AttributeError, match=r"self\.alpha"):
        Forgetful().get_config()
