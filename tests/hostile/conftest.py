"""Fixtures of the hostile-input suite: the P2P operators of tests/p2p on the shared platform."""

from tests.p2p.conftest import p2p  # noqa: F401 - re-exported fixture
