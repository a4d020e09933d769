"""`kenning bench`: ingestion, search and answer latency at scale, the approximate index at
1M vectors, and the server under concurrent clients, printed as tables (README, Performance).

Numbers, not timed tests: nothing here asserts a speed.
"""
