"""The benchmark: the app against a naive variant and a one-statement floor, over HTTP (`python -m bench.run`)."""
