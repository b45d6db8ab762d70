"""Peer-to-peer EV energy trading (FLOW D5.5 §2): roles and energies by state of charge,
matching at a posted price, exact money, the case study, and the benchmark.

The modules here are pure computations (no database, no chain) except :mod:`cli.p2p_bench`,
which drives the services. The equations and the matching and rounding rules are written down
in ``docs/p2p.md``; each function's docstring names the equation it implements.
"""
