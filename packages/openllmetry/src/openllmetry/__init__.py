"""The umbrella SDK (work in progress)."""
