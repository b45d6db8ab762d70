"""Celery workers: chain submission, TSO/DSO review flows, callbacks."""
