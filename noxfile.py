"""The keras-extras matrix: every session that needs a framework installs one alone.

    nox -s tests                          # tests on jax, torch and tensorflow
    nox -s "tests(backend='jax')"         # one backend
    nox -s iris                           # the Iris job on every backend
    nox -s distributed                    # two training processes per backend
    nox -s lint                           # ruff check + format check
    nox -s docs                           # the documentation site, --strict
    nox -s build                          # sdist + wheel, checked as installed
    nox -s bench                          # metric overhead, cost against classes
    nox -s "bench(backend='torch')" -- --quick

Which framework build gets installed comes from environment variables, so a machine
can pin its own wheel (CI pins the CPU build of torch that lies on its disk):

    KERAS_EXTRAS_JAX_REQUIREMENT         default "jax"
    KERAS_EXTRAS_TORCH_REQUIREMENT       default "torch"
    KERAS_EXTRAS_TENSORFLOW_REQUIREMENT  default "tensorflow"

Extra arguments after `--` go to pytest (or to the Iris program).
"""

from __future__ import annotations

import os
import shutil

import nox

BACKENDS = ["jax", "torch", "tensorflow"]
FAST_XLA_COMPILE = (
    "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"
)
# Every metric eager against compiled, and the exact accumulators under XLA.
COMPILED_PATH_TESTS = [
    "tests/test_eager_equals_compiled.py",
    "tests/test_accumulators.py",
]
DEFAULT_REQUIREMENTS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}

nox.options.sessions = ["lint", "docs", "build", "tests"]
nox.options.reuse_existing_virtualenvs = True


def backend_requirement(backend: str) -> str:
    variable = f"KERAS_EXTRAS_{backend.upper()}_REQUIREMENT"
    return os.environ.get(variable, DEFAULT_REQUIREMENTS[backend])


def install_backend(session: nox.Session, backend: str, *extras: str) -> None:
    """Install one framework, then keras-extras with `extras`, and pin the backend."""
    session.install(backend_requirement(backend))
    target = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", target)
    # An environment reused from another checkout (`nox --envdir`, as CI does)
    # must import this one's package, never the other's.
    session.run(
        "python",
        "-I",  # no current folder on the path: the import the tests get
        "-c",
        "import os, keras_extras; here = os.path.realpath('keras_extras'); "
        "found = os.path.dirname(os.path.realpath(keras_extras.__file__)); "
        "assert found == here, f'imports {found}, not {here}'",
        silent=True,
    )
    session.env["KERAS_BACKEND"] = backend
    # Stop TensorFlow and XLA from flooding the logs with start-up notices.
    session.env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def jax_cache_folder(limit: int = 2**30) -> str:
    """The JAX compilation cache of the tests, emptied when past `limit` bytes."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    folder = os.path.join(cache_home, "keras-extras", "jax-compilation")
    if os.path.isdir(folder):
        entries = [entry for entry in os.scandir(folder) if entry.is_file()]
        if sum(entry.stat().st_size for entry in entries) > limit:
            shutil.rmtree(folder, ignore_errors=True)
    return folder


@nox.session
@nox.parametrize("backend", BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """Run the test suite under one backend (the hypothesis profile "ci"), on
    every core."""
    install_backend(session, backend, "test", "examples", "plot")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    if backend == "jax":
        # Eager JAX compiles every op again for each new input shape, in each
        # worker process: a compilation cache on disk lets the workers (and the
        # subprocesses some tests start) share them, and lets the next run start
        # warm (2 cores: 119 s cold, 75 s warm). It lives in the user's cache
        # folder, so a fresh clone on the same machine finds it too. Entries are
        # keyed by jaxlib version, XLA flags and program, so never stale; a full
        # run writes about 35 MB, and the folder is emptied past 1 GB (JAX's own
        # size limit locks a file per entry: the suite took 405 s instead of 119).
        session.env.setdefault("JAX_COMPILATION_CACHE_DIR", jax_cache_folder())
        session.env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        session.env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    if backend != "torch":
        # XLA compiles every eager JAX op for each new shape, and every compiled
        # step on JAX and TensorFlow: that is most of their suites. LLVM's level 0
        # and the older loop emitters halve XLA's compile time on CPU (25.7 ->
        # 9.8 ms per op) and leave the arithmetic alone: XLA's own passes still
        # run, and XLA enables no fast-math at any level. 2 cores: JAX 208 ->
        # 123 s, TensorFlow 132 -> 96 s. The compiled-path checks run once more
        # below with XLA as users get it.
        session.env.setdefault("XLA_FLAGS", FAST_XLA_COMPILE)
    # One worker per core (pytest-xdist): eager JAX and TensorFlow spend most of
    # the suite compiling, one test at a time per process. Work stealing keeps
    # both cores busy to the end: the few tests that start subprocesses (a
    # second training process, a killed save) otherwise gather on one worker
    # (JAX, 2 cores: 99 s with the default "load" scheduling, 81-85 s).
    session.run(
        "pytest", *(session.posargs or ["-q", "-n", "auto", "--dist", "worksteal"])
    )
    if backend != "torch" and not session.posargs:
        session.run(
            "pytest",
            "-q",
            "-n",
            "auto",
            *COMPILED_PATH_TESTS,
            env={"XLA_FLAGS": os.environ.get("XLA_FLAGS", "")},
        )


@nox.session
@nox.parametrize("backend", BACKENDS)
def distributed(session: nox.Session, backend: str) -> None:
    """Two training processes on this machine with the backend's own engine (JAX
    multi-process, TensorFlow MultiWorkerMirroredStrategy, PyTorch DDP over gloo):
    the metrics equal one process's, callbacks act once, and the recipes of
    docs/distributed.md run (the tests marked slow in tests/test_multiprocess.py)."""
    install_backend(session, backend, "test", "examples", "plot")
    session.run(
        "pytest",
        *(session.posargs or ["-q", "-m", "slow", "tests/test_multiprocess.py"]),
    )


@nox.session
@nox.parametrize("backend", BACKENDS)
def iris(session: nox.Session, backend: str) -> None:
    """Train the Iris classifier on one backend and print its test metrics."""
    install_backend(session, backend, "examples")
    session.run(
        "python",
        "-m",
        "keras_extras.examples.iris",
        "--backend",
        backend,
        "--quiet",
        *session.posargs,
    )


@nox.session
@nox.parametrize("backend", BACKENDS)
def bench(session: nox.Session, backend: str) -> None:
    """Metric overhead per training step, cost against the number of classes,
    segmentation IoU against Keras' MeanIoU, regression and multilabel / ranking
    metrics, then the combined tables and charts."""
    install_backend(session, backend, "plot", "examples")
    if backend == "torch":
        session.install("torchmetrics")
    session.run(
        "python", "-m", "benchmarks.overhead", "--backend", backend, *session.posargs
    )
    session.run("python", "-m", "benchmarks.report")
    session.run("python", "-m", "benchmarks.classes", "--backend", backend)
    session.run("python", "-m", "benchmarks.classes", "--report")
    session.run("python", "-m", "benchmarks.op_counts", "--backend", backend)
    session.run("python", "-m", "benchmarks.op_counts", "--report")
    session.run("python", "-m", "benchmarks.segmentation")
    session.run("python", "-m", "benchmarks.segmentation", "--report")
    session.run("python", "-m", "benchmarks.regression")
    session.run("python", "-m", "benchmarks.regression", "--report")
    session.run("python", "-m", "benchmarks.rows")
    session.run("python", "-m", "benchmarks.rows", "--report")
    session.run("python", "-m", "benchmarks.resume")
    session.run("python", "-m", "benchmarks.resume", "--report")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel, check their metadata and contents, install
    the wheel (not the source tree) with JAX and run every docstring example from
    it, outside the repository."""
    session.install("build", "packaging")
    dist = os.path.join(session.create_tmp(), "dist")
    shutil.rmtree(dist, ignore_errors=True)  # no wheel of an earlier build
    session.run("python", "-m", "build", "--outdir", dist, silent=True)
    session.run("python", "tests/check_dist.py", dist)
    wheel = next(p for p in os.listdir(dist) if p.endswith(".whl"))
    session.install(backend_requirement("jax"))
    session.install(f"{os.path.join(dist, wheel)}[plot]")
    # A reused environment already holds a wheel of this version, which pip
    # would keep: install this build over it.
    session.install("--force-reinstall", "--no-deps", os.path.join(dist, wheel))
    session.env["KERAS_BACKEND"] = "jax"
    script = os.path.abspath("tests/installed_check.py")
    with session.chdir(dist):
        session.run("python", script)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree; mypy over the
    package (default settings, `[tool.mypy]` in pyproject.toml)."""
    session.install("ruff", "mypy", "numpy")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/; any warning fails the build.

    The API pages are read from the imported package (some docstrings are completed
    at import), and importing Keras needs a framework: JAX, the lightest (Keras'
    numpy backend imports it too).
    """
    install_backend(session, "jax", "docs")
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's notice about MkDocs 2
    session.run("mkdocs", "build", "--strict", *session.posargs)
