"""Crowd balancing platform core: domain, services, chain client, indexer, settlement."""
