"""What every keras-extras callback shares."""

from __future__ import annotations


class ConfigMixin:
    """`from_config(get_config())` rebuilds the callback: configs list every
    constructor argument (Keras callbacks have no config protocol of their own)."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)
