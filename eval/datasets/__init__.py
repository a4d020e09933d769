"""Adapters that turn public data sets into a corpus folder plus a golden set.

Each adapter writes `OUT/corpus/` (files Kenning ingests) and `OUT/golden.jsonl`; then
`kenning eval run OUT/golden.jsonl` finds the corpus beside the golden file.
"""
