"""The shared core every capability builds on: the chain client, the database, the operations
engine (accept, execute, confirm, callback), the runtime, settings, clock, errors and ids.

Nothing here imports a capability (``tests/unit/test_import_graph.py``): each capability
registers its operation kinds in the handler table the runtime is given at start-up."""
