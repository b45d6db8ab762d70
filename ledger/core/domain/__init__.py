"""Pure domain of the crowd balancing platform: no I/O, no database, no web framework.

Modules:

* :mod:`~ledger.core.domain.identifiers` - EIC check characters, POD codes;
* :mod:`~ledger.core.domain.enums` - statuses (mirroring the Solidity enums), roles, protocol enums;
* :mod:`~ledger.registry.schemas` - input models of the connector's 14 services (FLOW D5.5);
* :mod:`~ledger.core.domain.errors` - field errors named by their camelCase JSON field;
* :mod:`~ledger.core.domain.canonical` - canonical JSON and salted record hashes for the chain;
* :mod:`~ledger.registry.mass_load` - CSV mass loading of PODs;
* :mod:`~ledger.registry.rules` - DSO validation and TSO qualification rules.
"""
