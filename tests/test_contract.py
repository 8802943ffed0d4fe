"""The contract every public metric and callback keeps, checked over the registry
(`registry.py`): config round trip, pickling and deep copy with the state kept,
bad arguments refused by name, and log keys that are the keys in the logs."""

import copy
import inspect
import pickle

import keras
import numpy as np
import pytest
from helpers import pass_through_model, run_eager, to_numpy
from metric_suite import data_for
from registry import CALLBACKS, CONFIG_VARIANTS, KEY_VARIANTS, METRICS

import keras_extras.callbacks as kec
import keras_extras.metrics as kem

BAD = [
    (f"{group}-{name}-{index}", make, match)
    for group, entries in (("metric", METRICS), ("callback", CALLBACKS))
    for name, entry in entries.items()
    for index, (make, match) in enumerate(entry.bad)
]


def _public_classes(package):
    return {name for name in package.__all__ if inspect.isclass(getattr(package, name))}


def test_every_public_class_is_registered():
    for package, entries in ((kem, METRICS), (kec, CALLBACKS)):
        registered = {type(entry.make()).__name__ for entry in entries.values()}
        missing = _public_classes(package) - registered
        assert not missing, f"add to tests/registry.py: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_config_round_trip(name):
    metric = METRICS[name].make()
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_callback_config_round_trip(name):
    callback = CALLBACKS[name].make()
    clone = type(callback).from_config(callback.get_config())
    assert type(clone) is type(callback)
    assert repr(clone.get_config()) == repr(callback.get_config())


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_pickles_and_deep_copies_with_its_state(name):
    labels, probs, weights = data_for(METRICS[name])
    metric = METRICS[name].make()
    expected = run_eager(metric, [(labels, probs, weights)])
    for twin in (pickle.loads(pickle.dumps(metric)), copy.deepcopy(metric)):
        assert type(twin) is type(metric)
        assert twin.get_config() == metric.get_config()
        got = to_numpy(twin.result())
        for key, value in (
            expected if isinstance(expected, dict) else {0: expected}
        ).items():
            want = got[key] if isinstance(got, dict) else got
            np.testing.assert_allclose(want, value, atol=1e-6, err_msg=str(key))


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_callback_pickles_and_deep_copies(name):
    callback = CALLBACKS[name].make()
    for twin in (pickle.loads(pickle.dumps(callback)), copy.deepcopy(callback)):
        assert type(twin) is type(callback)
        assert repr(twin.get_config()) == repr(callback.get_config())


@pytest.mark.parametrize("case,make,match", BAD, ids=[case for case, _, _ in BAD])
def test_bad_arguments_raise_naming_what_was_received(case, make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize("name", sorted(METRICS))
def test_log_keys_are_the_keys_in_the_logs(name):
    """What each metric declares (`log_keys()`, with the output's name in a model
    with several outputs) is exactly what `evaluate` logs, and each scored key
    has a direction."""
    labels, probs, weights = data_for(METRICS[name])
    metric = METRICS[name].make()
    model = pass_through_model(probs.shape, [metric])
    logs = model.evaluate(
        probs, labels, sample_weight=weights, batch_size=32, verbose=0, return_dict=True
    )
    assert set(logs) - {"loss"} == set(metric.log_keys())
    inputs = keras.Input((3,))
    two = keras.Model(
        inputs, {"a": keras.layers.Identity(name="a")(inputs), "b": inputs + 0.0}
    )
    twin = METRICS[name].make()
    two.compile(loss={"a": "mse", "b": "mse"}, metrics={"a": [twin]})
    logs = two.evaluate(
        probs,
        {"a": labels if labels.ndim == 2 else np.eye(3)[labels], "b": probs},
        batch_size=32,
        verbose=0,
        return_dict=True,
    )
    declared = set(twin.log_keys(output_name="a"))
    metric_keys = set(logs) - {"loss", "a_loss", "b_loss"}
    assert declared == metric_keys
    assert all(key.startswith("a_") for key in declared)


@pytest.mark.parametrize("index", range(len(KEY_VARIANTS)))
def test_log_keys_of_per_class_prefixed_and_lazy_configurations(index):
    """The configurations whose keys have classes, a prefix, or wait for the
    first batch to know the classes: `log_keys()` after evaluating is exactly
    what was logged."""
    labels, probs, weights = data_for(METRICS["classification"])
    metric = KEY_VARIANTS[index]()
    model = pass_through_model(probs.shape, [metric])
    logs = model.evaluate(
        probs, labels, sample_weight=weights, batch_size=32, verbose=0, return_dict=True
    )
    assert set(logs) - {"loss"} == set(metric.log_keys())


@pytest.mark.parametrize("index", range(len(CONFIG_VARIANTS)))
def test_config_variants_round_trip(index):
    metric = CONFIG_VARIANTS[index]()
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
