"""Benchmarks: run `python -m bench` for the Markdown table kept in docs/BENCHMARKS.md."""
