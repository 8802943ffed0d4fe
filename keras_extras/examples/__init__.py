"""Runnable examples: `python -m keras_extras.examples.iris`."""
