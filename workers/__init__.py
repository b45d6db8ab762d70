"""Celery workers: chain submission, TSO/DSO review flows, signed callbacks."""
