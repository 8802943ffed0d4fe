"""Backend-agnostic Keras 3 callbacks."""

__all__: list[str] = []
