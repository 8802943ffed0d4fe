"""Performance measurements for keras-extras (never part of the timed tests)."""
