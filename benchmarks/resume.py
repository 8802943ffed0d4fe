"""A run interrupted and resumed against the same run straight through, with
Keras' `BackupAndRestore` and with keras-extras'.

The run: a linear regressor on 64 noisy samples (SGD at 0.2, batch 16, no
shuffling), with `ReduceLROnPlateau("loss", factor=0.5, patience=1)`, Keras'
`EarlyStopping("loss", patience=4, restore_best_weights=True)` and
keras-extras' `EarlyStopping("mae", patience=6)`, up to 40 epochs. The
interrupted run raises at the beginning of the first epoch that follows an
epoch without improvement (the callbacks are waiting), then fresh objects
(model, callbacks) start it again from the backup.

Run:  KERAS_BACKEND=jax python -m benchmarks.resume
      python -m benchmarks.resume --report
Results go to benchmarks/results/resume-<backend>.json; `--report` writes
results/resume.md (docs/long-runs.md includes it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks._machine import RESULTS, save_result, write_report

EPOCHS = 40


def train(backup_dir: Path, keras_backup: bool, interrupt_at: int | None = None):
    import keras
    import numpy as np

    import keras_extras.callbacks as kec

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == interrupt_at:
                raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    noise = 0.8 * rng.normal(size=(64, 1))
    y = (x @ rng.normal(size=(4, 1)) + noise).astype("float32")
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse", metrics=["mae"])
    backup = (
        keras.callbacks.BackupAndRestore(str(backup_dir))
        if keras_backup
        else kec.BackupAndRestore(backup_dir)
    )
    callbacks = [
        backup,
        keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1),
        keras.callbacks.EarlyStopping(
            "loss", patience=4, min_delta=1e-3, restore_best_weights=True
        ),
        kec.EarlyStopping("mae", patience=6, min_delta=1e-3),
        Interrupt(),
    ]
    try:
        history = model.fit(
            x, y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
            callbacks=callbacks,
        )  # fmt: skip
    except KeyboardInterrupt:
        return None
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    return history, model.get_weights(), rate


def compare() -> dict:
    import numpy as np

    found = {}
    for name, keras_backup in (("keras", True), ("keras_extras", False)):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            history, weights, rate = train(root / "straight", keras_backup)
            losses = history.history["loss"]
            at = next(
                e + 1
                for e in range(1, len(losses))
                if losses[e] > min(losses[:e]) - 1e-3
            )
            train(root / "resumed", keras_backup, interrupt_at=at)
            resumed, resumed_weights, resumed_rate = train(
                root / "resumed", keras_backup
            )
        found[name] = {
            "interrupted_at": at,
            "stopped_epoch": [len(history.epoch), at + len(resumed.epoch)]
            if keras_backup
            else [len(history.epoch), len(resumed.epoch)],
            "learning_rate": [rate, resumed_rate],
            "max_weight_difference": float(
                max(
                    np.max(np.abs(a - b))
                    for a, b in zip(weights, resumed_weights, strict=True)
                )
            ),
        }
    return found


def report(directory: Path = RESULTS) -> str:
    lines = [
        "| backend | backup | interrupted at epoch | epochs run (straight / "
        "resumed) | final learning rate | max weight difference |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for path in sorted(directory.glob("resume-*.json")):
        result = json.loads(path.read_text())
        for name, title in (
            ("keras", "Keras' `BackupAndRestore`"),
            ("keras_extras", "keras-extras' `BackupAndRestore`"),
        ):
            row = result["runs"][name]
            lines.append(
                f"| {result['machine']['backend']} | {title} | "
                f"{row['interrupted_at']} | {row['stopped_epoch'][0]} / "
                f"{row['stopped_epoch'][1]} | {row['learning_rate'][0]:g} / "
                f"{row['learning_rate'][1]:g} | "
                f"{row['max_weight_difference']:.1e} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return write_report("resume", report())
    return save_result("resume", runs=compare())


if __name__ == "__main__":
    raise SystemExit(main())
