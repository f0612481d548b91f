"""Benchmark harness: a synthetic pool of devices and the timings of the pool pages.

Run with ``make bench`` (``python -m bench.run``); see bench/README.md. Nothing in the
application imports this package.
"""
