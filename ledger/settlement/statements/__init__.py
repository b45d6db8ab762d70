"""Statements and BRP perimeter corrections (issue 14, items 2-4). ``period``, ``statement``,
``availability``, ``perimeter`` and ``export`` are pure functions over settled records and
awards; ``service``, ``corrections`` and ``stored_inputs`` store them and commit them on chain.
``docs/statements.md`` gives every column and formula."""
