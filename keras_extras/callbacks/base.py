"""What every keras-extras callback shares."""

from __future__ import annotations

from typing import Any

from keras_extras._config import declared_config


class ConfigMixin:
    """Config from declared fields, as metrics have it (`keras_extras._config`).

    List the constructor arguments in `config_fields` and store each under its
    own name: `get_config()` reads them back and `from_config(get_config())`
    rebuilds the callback (Keras callbacks have no config protocol of their own).
    """

    config_fields: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        return declared_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**config)
