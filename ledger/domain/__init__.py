"""Pure domain of the crowd balancing platform: no I/O, no database, no web framework.

Modules:

* :mod:`~ledger.domain.identifiers` - EIC check characters, POD codes;
* :mod:`~ledger.domain.enums` - statuses (mirroring the Solidity enums), roles, protocol enums;
* :mod:`~ledger.domain.schemas` - input models of the connector's 14 services (FLOW D5.5);
* :mod:`~ledger.domain.errors` - field errors named by their camelCase JSON field;
* :mod:`~ledger.domain.canonical` - canonical JSON and salted record hashes for the chain;
* :mod:`~ledger.domain.mass_load` - CSV mass loading of PODs;
* :mod:`~ledger.domain.rules` - DSO validation and TSO qualification rules.
"""
