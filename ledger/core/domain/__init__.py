"""The platform's shared vocabulary: no I/O, no database, no web framework.

Modules:

* :mod:`~ledger.core.domain.identifiers` - EIC check characters, POD codes;
* :mod:`~ledger.core.domain.enums` - statuses (mirroring the Solidity enums), roles, protocol
  enums;
* :mod:`~ledger.core.domain.errors` - field errors named by their camelCase JSON field;
* :mod:`~ledger.core.domain.canonical` - canonical JSON and salted record hashes for the chain.
"""
