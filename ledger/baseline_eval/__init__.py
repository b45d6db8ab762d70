"""How accurate each baseline method is on real metered data (issue 14, item 6).

Pure: real meter data in (``meter_data``), accuracy figures out (``evaluate``, ``metrics``), a
table and a plot (``report``). ``cbp baseline evaluate`` runs it; ``docs/baselines.md`` gives
the figures and which method to use when.
"""
