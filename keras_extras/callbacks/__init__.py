"""Backend-agnostic Keras 3 callbacks: Keras' public API and `keras.ops`; every
private Keras name they read goes through `keras_extras._keras_compat`."""

from keras_extras.callbacks.averaging import StochasticWeightAveraging
from keras_extras.callbacks.backup import BackupAndRestore
from keras_extras.callbacks.checkpoints import BestCheckpoints
from keras_extras.callbacks.early_stopping import EarlyStopping
from keras_extras.callbacks.lr_finder import LRFinder
from keras_extras.callbacks.monitoring import (
    LearningRateMonitor,
    ThroughputMonitor,
    TimeLimit,
)
from keras_extras.callbacks.plots import (
    ConfusionMatrixPlot,
    CurvePlot,
    PlotHistory,
    ReliabilityDiagram,
)
from keras_extras.callbacks.reports import ClassificationReport

__all__ = [
    "BackupAndRestore",
    "BestCheckpoints",
    "ClassificationReport",
    "ConfusionMatrixPlot",
    "CurvePlot",
    "EarlyStopping",
    "LRFinder",
    "LearningRateMonitor",
    "PlotHistory",
    "ReliabilityDiagram",
    "StochasticWeightAveraging",
    "ThroughputMonitor",
    "TimeLimit",
]
