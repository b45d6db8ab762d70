"""Statements and BRP perimeter corrections (issue 14, items 2-4): pure functions over settled
records and awards, no database, no chain, no clock. ``docs/statements.md`` gives every column
and formula."""
