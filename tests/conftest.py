"""Shared test set-up: hypothesis profiles and the backend under test."""

import os

import keras
import pytest
from hypothesis import HealthCheck, settings

# "ci" bounds every property test so the three-backend run stays short; "dev" is
# for local digging (HYPOTHESIS_PROFILE=dev pytest ...).
settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def backend() -> str:
    return keras.backend.backend()
