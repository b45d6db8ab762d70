"""The chain boundary: compiler, local node, signers, contract bindings, error decoding."""
