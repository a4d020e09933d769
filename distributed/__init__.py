"""Scale-out: ingest on a Ray cluster (`ingest.py`), knowledge bases split into shards
(`shards.py`), searched and answered as one (`search.py` over each shard's `ShardReads`,
with BM25 over global term statistics in `bm25.py`), and served through Ray Serve
(`serving.py`).

Ray is an optional extra (`pip install 'kenning[ray]'`) and only this package imports it:
inside the functions that need a cluster, and at the top of `serving.py`, which only
`kenning serve --ray` imports. The embedded mode never loads it.
"""
