"""Peer-to-peer EV energy trading (FLOW D5.5 §2): roles and energies by state of charge,
matching at a posted price, exact money, the case study; the service, its operation kinds and
tables.

The equations and the matching and rounding rules are written down in ``docs/p2p.md``; each
function's docstring names the equation it implements. ``service`` and ``views`` use the
database and the chain; the other modules are pure computations (``cli/p2p_bench.py`` drives
the whole platform).
"""
