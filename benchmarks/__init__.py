"""Reproducible benchmarks; `make bench` runs them and prints a table and one JSON line."""
