"""Benchmarks of the numpy core (run ``python -m benchmarks.core``)."""
