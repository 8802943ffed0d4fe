"""Segmentation IoU: keras-extras' `JaccardIndex` against Keras' `MeanIoU`.

Batch 8 of 128 x 128 label maps, 21 classes (PASCAL VOC's count), score maps
`(8, 128, 128, 21)`; one `update_state` + `result()` per step, what Keras runs every
training step:

- eager: the median wall time over `--repeats` steps, the two metrics interleaved
  (A B A B ...) in one process, each step synchronised by reading the result;
- compiled: the same step as a pure function of the state (`stateless_update_state`
  then `stateless_result`) under `jax.jit` / `tf.function(jit_compile=True)`; torch
  has no compiled path in Keras and runs eagerly only.

Both metrics get sparse labels and class scores (`MeanIoU(sparse_y_pred=False)`
takes the arg-max, as `JaccardIndex` does), and both results are checked equal.

Run:  KERAS_BACKEND=jax python -m benchmarks.segmentation [--repeats 30]
Results go to benchmarks/results/segmentation-<backend>.json; `--report` prints
the table of every JSON there and writes it to results/segmentation.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
BATCH, SIZE, CLASSES = 8, 128, 21


def inputs():
    import numpy as np

    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, (BATCH, SIZE, SIZE)).astype("int32")
    scores = rng.random((BATCH, SIZE, SIZE, CLASSES)).astype("float32")
    return labels, scores


def metrics():
    import keras

    import keras_extras.metrics as kem

    return {
        "keras_mean_iou": keras.metrics.MeanIoU(
            num_classes=CLASSES, sparse_y_pred=False
        ),
        "extras_jaccard_index": kem.JaccardIndex(num_classes=CLASSES),
    }


def compiled_step(metric):
    """A jitted `(state, labels, scores) -> (state, result)`, or None (torch)."""
    import keras

    def step(state, labels, scores):
        state = metric.stateless_update_state(state, labels, scores)
        return state, metric.stateless_result(state)

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(step)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(step, jit_compile=True)
    return None


def measure(repeats: int) -> dict:
    import keras
    import numpy as np

    from benchmarks._machine import describe

    labels, scores = inputs()
    labels_t = keras.ops.convert_to_tensor(labels)
    scores_t = keras.ops.convert_to_tensor(scores)
    found = {name: {"eager": [], "compiled": []} for name in metrics()}
    eager = metrics()
    values = {}
    for _ in range(3):  # warm up
        for metric in eager.values():
            metric.update_state(labels_t, scores_t)
            keras.ops.convert_to_numpy(metric.result())
    for _ in range(repeats):
        for name, metric in eager.items():
            start = time.perf_counter()
            metric.update_state(labels_t, scores_t)
            values[name] = float(keras.ops.convert_to_numpy(metric.result()))
            found[name]["eager"].append(time.perf_counter() - start)
    compiled = metrics()
    steps = {name: compiled_step(metric) for name, metric in compiled.items()}
    if all(step is not None for step in steps.values()):
        states = {
            name: [keras.ops.convert_to_tensor(v) for v in m.variables]
            for name, m in compiled.items()
        }
        for _ in range(3):
            for name, step in steps.items():
                states[name], result = step(states[name], labels_t, scores_t)
                keras.ops.convert_to_numpy(result)
        for _ in range(repeats):
            for name, step in steps.items():
                start = time.perf_counter()
                states[name], result = step(states[name], labels_t, scores_t)
                keras.ops.convert_to_numpy(result)
                found[name]["compiled"].append(time.perf_counter() - start)
    np.testing.assert_allclose(
        values["extras_jaccard_index"], values["keras_mean_iou"], atol=1e-5
    )
    rows = {
        name: {
            kind: (statistics.median(times) * 1e3 if times else None)
            for kind, times in found[name].items()
        }
        for name in found
    }
    return {"machine": describe(), "repeats": repeats, "ms_per_step": rows}


def report(directory: Path = RESULTS) -> str:
    lines = [
        "| backend | path | Keras `MeanIoU` ms | keras-extras `JaccardIndex` ms "
        "| ratio |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path in sorted(directory.glob("segmentation-*.json")):
        result = json.loads(path.read_text())
        rows = result["ms_per_step"]
        for kind in ("eager", "compiled"):
            keras_ms = rows["keras_mean_iou"][kind]
            ours = rows["extras_jaccard_index"][kind]
            if keras_ms is None or ours is None:
                continue
            lines.append(
                f"| {result['machine']['backend']} | {kind} | {keras_ms:.2f} "
                f"| {ours:.2f} | {ours / keras_ms:.2f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        text = report()
        (RESULTS / "segmentation.md").write_text(text + "\n")
        print(text)
        return 0
    import keras

    result = measure(args.repeats)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"segmentation-{keras.backend.backend()}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["ms_per_step"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
