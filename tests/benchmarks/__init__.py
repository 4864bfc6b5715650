"""Benchmarks: run each as `python -m tests.benchmarks.NAME`; they print figures, nothing is asserted."""
