"""Measurements: uploads of meter and device readings, declared baselines, their commitment on
chain."""
