"""The callbacks that predict their own validation data, on real models: a
binary sigmoid head, a logits head, two outputs, and validation data given as Keras'
`fit` accepts it (arrays, a PyDataset, a tf.data.Dataset, a torch DataLoader)."""

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from keras_extras.callbacks import (
    ClassificationReport,
    ConfusionMatrixPlot,
    CurvePlot,
    ReliabilityDiagram,
)

BACKEND = keras.backend.backend()


def binary_data(samples=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, samples).astype("int32")
    x = (rng.normal(size=(samples, 4)) + y[:, None]).astype("float32")
    return x, y


def binary_model(logits=False):
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(1, activation=None if logits else "sigmoid"),
        ]
    )
    net.compile(
        optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=logits)
    )
    return net


def two_output_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    net = keras.Model(
        inputs,
        {
            "kind": keras.layers.Dense(3, activation="softmax", name="kind")(inputs),
            "flag": keras.layers.Dense(1, activation="sigmoid", name="flag")(inputs),
        },
    )
    net.compile(
        optimizer="adam",
        loss={"kind": "sparse_categorical_crossentropy", "flag": "binary_crossentropy"},
    )
    return net


class Epochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ended = 0

    def on_epoch_end(self, epoch, logs=None):
        self.ended += 1


@pytest.mark.parametrize("logits", [False, True], ids=["sigmoid", "logits"])
def test_a_binary_head_is_reported_and_drawn_with_its_two_classes(tmp_path, logits):
    x, y = binary_data()
    validation = binary_data(64, seed=1)
    report = ClassificationReport(
        validation, num_replicates=10, seed=0, verbose=0, from_logits=logits
    )
    callbacks = [
        report,
        ConfusionMatrixPlot(validation, tmp_path / "cm.png", from_logits=logits),
        CurvePlot(validation, tmp_path / "curves.png", from_logits=logits),
        ReliabilityDiagram(validation, tmp_path / "rel.png", from_logits=logits),
    ]
    net = binary_model(logits)
    history = net.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
    assert len(history.history["loss"]) == 2  # fit returned its History
    for name in ("cm.png", "curves.png", "rel.png"):
        assert (tmp_path / name).stat().st_size > 0
    scores = net.predict(validation[0], verbose=0)[:, 0]
    predicted = (scores >= (0.0 if logits else 0.5)).astype(int)
    expected = skm.f1_score(validation[1], predicted, average=None, labels=[0, 1])
    np.testing.assert_allclose(report.history[-1]["f1"], expected, atol=1e-6)
    assert history.history["val_f1/1"][-1] == pytest.approx(expected[1], abs=1e-6)


def test_several_outputs_need_output_and_are_checked_before_any_epoch(tmp_path):
    x, y = binary_data()
    targets = {"kind": y % 3, "flag": y}
    validation = (x, targets)
    for callback, match in (
        (ClassificationReport(validation, verbose=0), r"output=.*'kind'|'flag'"),
        (ClassificationReport(validation, output="nope", verbose=0), "output='nope'"),
        (CurvePlot(validation, tmp_path / "c.png", output=5), "output=5"),
        (
            ClassificationReport(
                validation, output="kind", class_names=["a", "b"], verbose=0
            ),
            "2 class names for an output of 3 classes",
        ),
    ):
        epochs = Epochs()
        with pytest.raises(ValueError, match=match):
            two_output_model().fit(
                x, targets, epochs=1, verbose=0, callbacks=[callback, epochs]
            )
        assert epochs.ended == 0


def test_the_chosen_output_is_reported(tmp_path):
    x, y = binary_data()
    targets = {"kind": y + (x[:, 0] > 1), "flag": y}
    report = ClassificationReport((x, targets), output="kind", verbose=0)
    flag = ConfusionMatrixPlot((x, targets), tmp_path / "flag.png", output="flag")
    net = two_output_model()
    net.fit(x, targets, epochs=1, verbose=0, callbacks=[report, flag])
    predicted = net.predict(x, verbose=0)
    expected = skm.f1_score(
        targets["kind"], predicted["kind"].argmax(-1), average=None, labels=[0, 1, 2]
    )
    np.testing.assert_allclose(report.history[-1]["f1"], expected, atol=1e-6)
    decided = (predicted["flag"][:, 0] >= 0.5).astype(int)
    np.testing.assert_allclose(
        flag.matrix, skm.confusion_matrix(y, decided, normalize="true"), atol=1e-6
    )


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size=16):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


def _datasets(x, y):
    found = {"py_dataset": Batches(x, y)}
    if BACKEND == "tensorflow":
        import tensorflow as tf

        found["tf_data"] = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    if BACKEND == "torch":
        import torch

        tensors = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
        found["data_loader"] = torch.utils.data.DataLoader(tensors, batch_size=16)
    return found


def test_validation_data_as_fit_takes_it_gives_the_arrays_report(tmp_path):
    x, y = binary_data()
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, len(x)).astype("int32")
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    arrays = ClassificationReport((x, labels), verbose=0)
    others = {
        name: ClassificationReport(data, verbose=0)
        for name, data in _datasets(x, labels).items()
    }
    curves = CurvePlot(_datasets(x, labels)["py_dataset"], tmp_path / "c.png", 3)
    net.fit(
        x, labels, epochs=1, verbose=0, callbacks=[arrays, curves, *others.values()]
    )
    assert len(others) >= 1 + (BACKEND != "jax")
    for name, report in others.items():
        for score in ("precision", "recall", "f1", "support"):
            np.testing.assert_allclose(
                report.history[-1][score],
                arrays.history[-1][score],
                atol=1e-6,
                err_msg=name,
            )
    assert curves.curves["fpr"].shape[0] == 3


def test_the_report_prints_when_fit_prints_unless_told(capsys):
    x, y = binary_data()
    for fit_verbose, verbose, printed in (
        (0, "auto", False),
        (2, "auto", True),
        (0, 1, True),
        (2, 0, False),
    ):
        report = ClassificationReport((x, y), verbose=verbose)
        binary_model().fit(x, y, epochs=1, verbose=fit_verbose, callbacks=[report])
        out = capsys.readouterr().out
        assert ("Classification report" in out) is printed, (fit_verbose, verbose)
    with pytest.raises(ValueError, match="verbose=2"):
        ClassificationReport((x, y), verbose=2)


def test_history_plots_count_epochs_in_whole_numbers(tmp_path, monkeypatch):
    from keras_extras.callbacks import PlotHistory, plots

    figures = []
    monkeypatch.setattr(
        plots, "save_figure", lambda figure, path: figures.append(figure)
    )
    x, y = binary_data()
    plot = PlotHistory(tmp_path / "history.png")
    binary_model().fit(x, y, epochs=3, verbose=0, callbacks=[plot])
    ticks = figures[-1].axes[0].get_xticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)
