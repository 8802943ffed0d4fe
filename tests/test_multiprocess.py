"""Two training processes on this machine, each backend's own engine (JAX
multi-process, TensorFlow MultiWorkerMirroredStrategy, PyTorch DDP): the metrics
over the global data equal one process's within 1e-6, and callbacks act once.

Marked `slow` (about a minute per backend): `nox -s distributed` runs it on every
backend (`tests/multiprocess_check.py` is the process that runs twice)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

HERE = Path(__file__).parent
BACKEND = keras.backend.backend()
WORLD = 2

pytestmark = pytest.mark.slow

# What launchers set; keras_extras.distributed reads them.
LAUNCHER_VARIABLES = (
    "RANK",
    "WORLD_SIZE",
    "TF_CONFIG",
    "KERAS_DISTRIBUTION_PROCESS_ID",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
)


def _free_port(span: int) -> int:
    """A port with `span` free ports from it (TensorFlow takes one per worker)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + span >= 65536:
            continue
        try:
            for offset in range(span):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError("no free ports")


def _launch(commands: list[list[str]], envs: list[dict], cwd: Path) -> list[str]:
    """Start one process per command (all at once: they wait for each other),
    then the stdout of each; a failing process fails the test with its stderr."""
    processes = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
        )
        for command, env in zip(commands, envs, strict=True)
    ]
    outputs = []
    try:
        for rank, process in enumerate(processes):
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, f"rank {rank}:\n{err[-4000:]}"
            outputs.append(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return outputs


def _run(tmp_path: Path) -> list[dict]:
    port = _free_port(WORLD)
    env = {
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    env.update({name: "" for name in LAUNCHER_VARIABLES})  # none set from outside
    commands = [
        [
            sys.executable,
            str(HERE / "multiprocess_check.py"),
            BACKEND,
            str(rank),
            str(WORLD),
            str(port),
            str(tmp_path),
        ]
        for rank in range(WORLD)
    ]
    outputs = _launch(commands, [env] * WORLD, tmp_path)
    return [json.loads(out.strip().splitlines()[-1]) for out in outputs]


def _assert_close(got: dict, expected: dict, what: str) -> None:
    for name, value in expected.items():
        np.testing.assert_allclose(
            got[name], value, atol=1e-6, err_msg=f"{what}: {name}"
        )


def test_two_processes_give_the_single_process_metrics(tmp_path):
    results = _run(tmp_path)
    assert [r["process_index"] for r in results] == list(range(WORLD))
    assert [r["main"] for r in results] == [True, False]
    for rank, result in enumerate(results):
        reference = result["reference"]
        _assert_close(result["evaluate"], reference, f"rank {rank} evaluate")
        if BACKEND == "jax":
            assert result["devices"] == WORLD
            _assert_close(result["fit"], reference, f"rank {rank} fit")
            for key in ("learning_rate", "ms_per_step", "samples_per_second"):
                assert key in result["fit"], key
        if BACKEND == "torch":
            _assert_close(result["trained"], result["trained_single"], "DDP")
    if BACKEND == "jax":
        # Files are written once, by process 0: one checkpoint, its manifest
        # and the last model, one history picture; no lock left behind.
        files = results[0]["files"]
        pictures = ("history.png", "cm.png", "curves.png", "reliability.png")
        for picture in (*pictures, "report.json"):
            assert picture in files, picture
        assert "checkpoints/checkpoints.json" in files
        assert sum(f.startswith("checkpoints/epoch") for f in files) == 1
        assert not any(".tmp-" in f or f.endswith(".lock") for f in files)
        # The report on the validation set (predicted by both processes) is the
        # one-process report, on every process; its intervals bracket it.
        for result in results:
            logged, expected = result["report_logged"], result["report_reference"]
            for k in range(3):
                f1 = logged[f"val_f1/{k}"]
                assert abs(f1 - expected["f1"][k]) < 1e-6, (k, f1, expected["f1"][k])
                assert logged[f"val_f1/{k}_low"] <= f1 <= logged[f"val_f1/{k}_high"]


def _recipe() -> str:
    from test_docs import ROOT, code_blocks

    page = ROOT / "docs" / "distributed.md"
    recipes = [
        code
        for marker, code, _ in code_blocks(page)
        if marker == f"processes={WORLD} backend={BACKEND}"
    ]
    assert len(recipes) == 1, f"one {BACKEND} recipe in {page.name}"
    return recipes[0]


def _launcher_env(rank: int, port: int) -> dict:
    """What a launcher sets for one process (torchrun, a TF cluster, Keras')."""
    if BACKEND == "jax":
        return {
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"localhost:{port}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(WORLD),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(rank),
        }
    if BACKEND == "tensorflow":
        workers = [f"localhost:{port + i}" for i in range(WORLD)]
        config = {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": rank},
        }
        return {"TF_CONFIG": json.dumps(config)}
    return {
        "RANK": str(rank),
        "WORLD_SIZE": str(WORLD),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }


def test_the_documented_recipe_runs_in_two_processes(tmp_path):
    script = tmp_path / "recipe.py"
    script.write_text(_recipe())
    port = _free_port(WORLD)
    outputs = _launch(
        [[sys.executable, str(script)]] * WORLD,
        [_launcher_env(rank, port) for rank in range(WORLD)],
        tmp_path,
    )
    # The program's own lines: gloo (JAX's CPU collectives) says hello.
    outputs = [
        [x for x in out.splitlines() if not x.startswith("[Gloo]")] for out in outputs
    ]
    assert "f1" in "\n".join(outputs[0]) and outputs[1] == [], outputs
    if BACKEND == "jax":
        assert (tmp_path / "history.png").exists()
        assert (tmp_path / "checkpoints" / "checkpoints.json").exists()
