"""`StochasticWeightAveraging`: the average of the epoch-end weights (against
numpy and, on torch, `torch.optim.swa_utils.AveragedModel`), batch-norm
statistics recomputed as the data's moments under the average, the averaged
model validated and checkpointed, a run resumed through `BackupAndRestore`,
and a `.keras` file."""

import keras
import numpy as np
import pytest
from test_backup import Interrupt

import keras_extras.callbacks as kec

EPOCHS, START = 6, 2


def _data(rows=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) + 0.3 * rng.normal(size=(rows, 1))).astype(
        "float32"
    )
    return x, y


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(momentum=0.5),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def _float_weights(model):
    return [
        keras.ops.convert_to_numpy(w.value).copy()
        for w in model.weights
        if "float" in keras.backend.standardize_dtype(w.dtype)
    ]


class Recorder(keras.callbacks.Callback):
    """The model's float weights at one hook, per epoch (for a batch hook, at
    the epoch's first batch)."""

    def __init__(self, hook):
        super().__init__()
        self.hook, self.seen, self.epoch = hook, {}, None
        setattr(self, hook, self._record)

    def _record(self, *args, logs=None):
        if self.hook == "on_epoch_end":
            self.seen[args[0]] = _float_weights(self.model)
        elif self.hook != "on_train_batch_begin" or args[0] == 0:
            self.seen[self.epoch] = _float_weights(self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def _mean(recorded, epochs):
    chosen = [recorded[e] for e in epochs]
    return [np.mean(group, axis=0) for group in zip(*chosen, strict=True)]


def _assert_weights(got, want, atol=1e-6):
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=atol)


def _averaged_fit():
    """A model trained with SWA from START, and the epoch-end weights."""
    x, y = _data()
    model = _model()
    ends = Recorder("on_epoch_end")
    swa = kec.StochasticWeightAveraging(start_epoch=START)
    model.fit(x, y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
              callbacks=[ends, swa])  # fmt: skip
    return model, ends, swa


def test_the_model_ends_with_the_mean_of_the_epoch_end_weights():
    model, ends, swa = _averaged_fit()
    assert swa.count == EPOCHS - START
    # Every float weight: kernels, biases, batch-norm gamma/beta and moving
    # statistics (the seed generator's integer state is not averaged).
    _assert_weights(_float_weights(model), _mean(ends.seen, range(START, EPOCHS)))
    assert not np.allclose(_float_weights(model)[0], ends.seen[EPOCHS - 1][0])


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch's own SWA")
def test_the_average_is_torch_averaged_models():
    import torch
    from torch.optim.swa_utils import AveragedModel

    model, ends, _ = _averaged_fit()

    class Holder(torch.nn.Module):
        def __init__(self, values):
            super().__init__()
            self.values = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.tensor(v)) for v in values]
            )

    trained = [ends.seen[e] for e in range(START, EPOCHS)]
    holder = Holder(trained[0])
    averaged = AveragedModel(holder)
    for values in trained:
        with torch.no_grad():
            for parameter, value in zip(holder.values, values, strict=True):
                parameter.copy_(torch.tensor(value))
        averaged.update_parameters(holder)
    want = [p.detach().numpy() for p in averaged.module.values]
    _assert_weights(_float_weights(model), want)


def _batch_norm_input(model, x):
    """The inputs of the batch-norm layer under the model's weights."""
    return keras.ops.convert_to_numpy(model.layers[0](x))


@pytest.mark.parametrize("as_dataset", [False, True])
def test_batch_norm_statistics_are_the_datas_moments_under_the_average(as_dataset):
    x, y = _data(rows=96)
    batch = 24

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return len(x) // batch

        def __getitem__(self, i):
            return x[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch]

    model = _model()
    ends = Recorder("on_epoch_end")
    data = Batches() if as_dataset else x
    swa = kec.StochasticWeightAveraging(
        start_epoch=START, batch_norm_data=data, batch_size=batch
    )
    model.fit(x, y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
              callbacks=[ends, swa])  # fmt: skip
    average = _mean(ends.seen, range(START, EPOCHS))
    norm = model.layers[1]
    got = _float_weights(model)
    # Kernels and biases (and gamma, beta) are the average...
    _assert_weights(got[:4] + got[-2:], average[:4] + average[-2:])
    # ... and the moving statistics are the cumulative mean of each batch's
    # mean and (biased) variance of the layer's inputs under them.
    inputs = _batch_norm_input(model, x).reshape(len(x) // batch, batch, -1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(norm.moving_mean), inputs.mean(1).mean(0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(norm.moving_variance), inputs.var(1).mean(0),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip
    assert norm.momentum == 0.5  # given back


def test_the_averaged_model_is_validated_and_training_goes_on_from_the_trained():
    x, y = _data()
    model = _model()
    before_validation = Recorder("on_test_begin")  # the trained weights
    first_batch = Recorder("on_train_batch_begin")
    after = Recorder("on_epoch_end")
    swa = kec.StochasticWeightAveraging(start_epoch=START, validate_average=True)
    history = model.fit(
        x, y, validation_data=(x, y), epochs=EPOCHS, batch_size=16, shuffle=False,
        verbose=0, callbacks=[before_validation, first_batch, swa, after],
    )  # fmt: skip
    trained = before_validation.seen
    probe = _model()
    for epoch in range(EPOCHS):
        if epoch < START:
            _assert_weights(after.seen[epoch], trained[epoch])
            continue
        average = _mean(trained, range(START, epoch + 1))
        _assert_weights(after.seen[epoch], average)  # what callbacks see
        probe.set_weights(average)
        loss = probe.evaluate(x, y, batch_size=16, verbose=0)
        np.testing.assert_allclose(history.history["val_loss"][epoch], loss, rtol=1e-5)
        if epoch + 1 < EPOCHS:  # the next epoch trains from the trained weights
            _assert_weights(first_batch.seen[epoch + 1], trained[epoch])
    _assert_weights(_float_weights(model), _mean(trained, range(START, EPOCHS)))


def _train(backup_dir, interrupt_at=None):
    x, y = _data()
    model = _model()
    extra = [] if interrupt_at is None else [Interrupt(interrupt_at)]
    swa = kec.StochasticWeightAveraging(start_epoch=1, validate_average=True)
    try:
        history = model.fit(
            x, y, validation_data=(x, y), epochs=EPOCHS, batch_size=16,
            shuffle=False, verbose=0,
            callbacks=[kec.BackupAndRestore(backup_dir), swa, *extra],
        )  # fmt: skip
    except KeyboardInterrupt:
        return None
    return history, _float_weights(model), swa.count


@pytest.mark.parametrize("at", [1, 3])
def test_a_run_resumed_through_backup_and_restore_keeps_its_average(tmp_path, at):
    """Interrupted before the average starts, or with the average in the model
    (validated): the resumed run ends as the straight one."""
    straight, weights, count = _train(tmp_path / "straight")
    assert _train(tmp_path / "resumed", interrupt_at=at) is None
    resumed, resumed_weights, resumed_count = _train(tmp_path / "resumed")
    assert resumed_count == count == EPOCHS - 1
    for key, values in straight.history.items():
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-5, err_msg=key)
    _assert_weights(resumed_weights, weights)


def test_the_average_saves_to_keras_and_a_late_start_changes_nothing(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=3, verbose=0,
              callbacks=[kec.StochasticWeightAveraging(start_epoch=1)])  # fmt: skip
    model.save(tmp_path / "averaged.keras")
    loaded = keras.saving.load_model(tmp_path / "averaged.keras")
    _assert_weights(_float_weights(loaded), _float_weights(model), atol=0)
    late = _model()
    ends = Recorder("on_epoch_end")
    swa = kec.StochasticWeightAveraging(start_epoch=5)
    late.fit(x, y, epochs=3, verbose=0, callbacks=[ends, swa])
    assert swa.count == 0
    _assert_weights(_float_weights(late), ends.seen[2], atol=0)
