"""Benchmarks: `python -m bench [NAME ...]` runs bench/bench_<NAME>.py (all by default).

Each benchmark measures WAVE against a peer in the same run and prints a Markdown section; pass
``--write`` to update docs/benchmarks.md.
"""
