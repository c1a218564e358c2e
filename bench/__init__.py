"""socmaster benchmarks: run with `socmaster bench [NAME ...]` or `python -m bench.run`."""
