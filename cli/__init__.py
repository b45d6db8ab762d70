"""The ``cbp`` command line: platform set-up, running, demo, benchmarks."""
