"""The market's pure logic: delivery periods, prices, clearing, grid checks, Merkle trees,
measurement validation. Nothing here touches the database, the chain or the clock: callers pass
``now`` and the data in, and get plain values back (see ``ledger/market/bids.py`` for the
flows that use them)."""
