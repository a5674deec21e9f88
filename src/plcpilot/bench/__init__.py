"""Benchmarks: the field's evaluation protocols over any model (runner, metrics, stats, report)."""
