"""The flexibility market: products, admissions, bids, the DSOs' checks, needs and their
clearing, activations.

The pure logic (clearing, grid checks, Merkle trees, terms) touches no database, chain or clock:
callers pass ``now`` and the data in. The services (``bids``, ``checks``, ``needs``,
``activations``) store rows (``tables``), build the contract calls and register the market's
operation kinds (``kinds``)."""
