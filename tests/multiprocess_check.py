"""One process of a multi-process run on this machine; prints JSON on its last line.

Started twice (ranks 0 and 1) by tests/test_multiprocess.py and `nox -s distributed`:

    python tests/multiprocess_check.py BACKEND RANK WORLD PORT OUT_DIR

Each process sees its own shard of the data (rows `rank::world`), and every run
checks the same thing: the metric suite over the global data, merged across the
processes by the backend's own engine, against one eager metric that saw it all
(the "reference", computed in the same process):

- jax: `keras.distribution.initialize` (CPU collectives over gloo) and
  `DataParallel` over both processes' devices; `evaluate` and `fit` of a
  pass-through model, with callbacks; only process 0 writes files.
- tensorflow: `MultiWorkerMirroredStrategy` (a `TF_CONFIG` per worker), a custom
  loop (`strategy.run`; Keras' `fit` does not run under this strategy,
  keras-team/keras#20585); the sum-on-read state is merged by the strategy.
- torch: `torch.distributed` (gloo) and `DistributedDataParallel` around a Keras
  model in a custom loop, as in Keras' multi-GPU PyTorch guide; the metric state
  is merged with `keras_extras.distributed.merge_state`. The trained model's
  metrics are compared with the same training in one process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BATCH = 8  # per process


def _flatten(results) -> dict:
    import numpy as np
    from helpers import to_numpy

    flat = {}
    for name, value in results.items():
        flat[name] = np.asarray(to_numpy(value)).tolist()
    return flat


def _results(metric) -> dict:
    result = metric.result()
    return _flatten(result if isinstance(result, dict) else {metric.name: result})


def _reference() -> dict:
    """The metric suite over all the data, in one process, eagerly."""
    from metric_suite import data, representative_metrics

    labels, probs, weights = data()
    reference = {}
    for metric in representative_metrics():
        metric.update_state(labels, probs, sample_weight=weights)
        reference.update(_results(metric))
    return reference


def _shard(rank: int, world: int):
    from metric_suite import data

    return [array[rank::world] for array in data()]


def run_jax(rank: int, world: int, port: int, out: Path) -> dict:
    import keras
    from helpers import pass_through_model
    from metric_suite import data, representative_metrics

    import keras_extras.callbacks as kec
    from keras_extras.callbacks.reports import report
    from keras_extras.distributed import is_main_process, process_index
    from keras_extras.metrics import ConfusionMatrix

    keras.distribution.initialize(f"localhost:{port}", world, rank)
    reference = _reference()  # computed before the distribution is set
    matrix = ConfusionMatrix(num_classes=3)
    labels, probs, weights = data()
    matrix.update_state(labels, probs, sample_weight=weights)
    report_reference = report(keras.ops.convert_to_numpy(matrix.confusion_matrix()))
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
    )
    labels, probs, weights = _shard(rank, world)
    model = pass_through_model(
        probs.shape, representative_metrics(), jit_compile="auto"
    )
    evaluate = model.evaluate(
        probs,
        labels,
        sample_weight=weights,
        batch_size=BATCH,
        verbose=0,
        return_dict=True,
    )
    # The callbacks that predict on their own validation data: every process
    # passes the whole validation set, and process 0 writes what it found.
    all_labels, all_probs, all_weights = data()
    validation = (all_probs, all_labels, all_weights)
    callbacks = [
        kec.LearningRateMonitor(),
        kec.ThroughputMonitor(batch_size=BATCH * world, skip_steps=1),
        kec.EarlyStopping(monitor="f1_score", mode="max", patience=5),
        kec.BestCheckpoints(out / "checkpoints", monitor="f1_score", save_top_k=1),
        kec.ClassificationReport(
            validation,
            path=out / "report.json",
            verbose=0,
            num_replicates=20,
            seed=0,
        ),
        kec.ConfusionMatrixPlot(validation, out / "cm.png"),
        kec.CurvePlot(validation, out / "curves.png", num_classes=3),
        kec.ReliabilityDiagram(validation, out / "reliability.png"),
        kec.PlotHistory(out / "history.png"),
    ]
    history = model.fit(
        probs,
        labels,
        sample_weight=weights,
        batch_size=BATCH,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )
    return {
        "reference": reference,
        "evaluate": _flatten(evaluate),
        "fit": _flatten({k: v[-1] for k, v in history.history.items()}),
        "devices": len(devices),
        "process_index": process_index(),
        "main": is_main_process(),
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
        "report_reference": report_reference,
        "report_logged": {
            k: v[-1] for k, v in history.history.items() if k.startswith("val_f1/")
        },
    }


def run_tensorflow(rank: int, world: int, port: int, out: Path) -> dict:
    import tensorflow as tf
    from metric_suite import representative_metrics

    from keras_extras.distributed import is_main_process, process_index

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == world, strategy.num_replicas_in_sync
    reference = _reference()
    labels, probs, weights = _shard(rank, world)
    with strategy.scope():
        metrics = representative_metrics()
    options = tf.distribute.InputOptions(experimental_fetch_to_device=False)
    dataset = tf.data.Dataset.from_tensor_slices((labels, probs, weights)).batch(BATCH)
    # Each worker already holds its own shard: no auto-sharding on top.
    dataset_options = tf.data.Options()
    dataset_options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
    )
    dataset = strategy.experimental_distribute_dataset(
        dataset.with_options(dataset_options), options
    )

    @tf.function
    def step(batch):
        def update(y, p, w):
            for metric in metrics:
                metric.update_state(y, p, sample_weight=w)

        strategy.run(update, args=batch)

    for batch in dataset:
        step(batch)
    merged = {}
    for metric in metrics:  # cross-replica reads: the strategy sums the state
        merged.update(_results(metric))
    return {
        "reference": reference,
        "evaluate": merged,
        "process_index": process_index(),
        "main": is_main_process(),
    }


def _torch_model(seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(3)]
    )


def _torch_train(model, batches, ddp_model=None, steps: int = 6):
    import torch

    module = ddp_model if ddp_model is not None else model
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    for step in range(steps):
        x, y = batches[step % len(batches)]
        optimizer.zero_grad()
        loss = loss_fn(module(x), y)
        loss.backward()
        optimizer.step()


def run_torch(rank: int, world: int, port: int, out: Path) -> dict:
    import numpy as np
    import torch
    import torch.distributed as dist
    from metric_suite import data, representative_metrics

    from keras_extras.distributed import is_main_process, merge_state, process_index

    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    reference = _reference()
    # 1. The metric suite on fixed predictions: each rank updates with its
    #    shard, several batches, then merges.
    labels, probs, weights = _shard(rank, world)
    merged = {}
    for metric in representative_metrics():
        for start in range(0, len(labels), BATCH):
            rows = slice(start, start + BATCH)
            metric.update_state(labels[rows], probs[rows], sample_weight=weights[rows])
        merge_state(metric, dist.all_reduce)
        merged.update(_results(metric))

    # 2. DDP training of a Keras model, then the metrics of the trained model
    #    over every rank's shard, merged; against the same run in one process.
    all_labels, all_probs, _ = data()
    features = np.log(all_probs).astype("float32")  # a learnable input

    def batches(rows, size=BATCH):
        x = torch.from_numpy(features[rows])
        y = torch.from_numpy(all_labels[rows].astype("int64"))
        return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]

    index = np.arange(len(all_labels))
    model = _torch_model(seed=7)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    _torch_train(model, batches(index[rank::world]), ddp_model=ddp)
    single = _torch_model(seed=7)  # the same steps on the global batches
    global_rows = np.concatenate(
        [
            np.concatenate([index[r::world][i : i + BATCH] for r in range(world)])
            for i in range(0, len(index) // world, BATCH)
        ]
    )
    _torch_train(single, batches(global_rows, BATCH * world), steps=6)

    def trained_metrics(net, rows, merge):
        import keras_extras.metrics as kem

        suite = [
            kem.ClassificationMetrics(num_classes=3, metrics=("accuracy", "f1", "mcc")),
            kem.AUROC(num_classes=3, from_logits=True, num_thresholds=11),
            kem.BrierScore(from_logits=True),
        ]
        with torch.no_grad():
            logits = net(torch.from_numpy(features[rows]))
        results = {}
        for metric in suite:
            metric.update_state(all_labels[rows], logits)
            if merge:
                merge_state(metric, dist.all_reduce)
            results.update(_results(metric))
        return results

    trained = trained_metrics(model, index[rank::world], merge=True)
    trained_single = trained_metrics(single, index, merge=False)
    dist.destroy_process_group()
    return {
        "reference": reference,
        "evaluate": merged,
        "trained": trained,
        "trained_single": trained_single,
        "process_index": process_index(),
        "main": is_main_process(),
    }


def configure(backend: str, rank: int, world: int, port: int) -> None:
    """Environment fixed before the framework starts."""
    os.environ["KERAS_BACKEND"] = backend
    if backend == "jax":
        import jax

        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    elif backend == "tensorflow":
        workers = [f"localhost:{port + i}" for i in range(world)]
        os.environ["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": rank}}
        )
    else:
        os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)


if __name__ == "__main__":
    backend, rank, world, port = sys.argv[1], *map(int, sys.argv[2:5])
    out = Path(sys.argv[5])
    configure(backend, rank, world, port)
    import keras

    keras.config.disable_traceback_filtering()  # whole tracebacks in the test log
    runner = {"jax": run_jax, "tensorflow": run_tensorflow, "torch": run_torch}
    print(json.dumps(runner[backend](rank, world, port, out)))
