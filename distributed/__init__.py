"""Scale-out: ingest on a Ray cluster (`ingest.py`), knowledge bases split into shards
(`shards.py`) and searched as one (`search.py`, with BM25 over global term statistics in
`bm25.py`).

Ray is an optional extra (`pip install 'kenning[ray]'`) and only this package imports it,
inside the functions that need a cluster; the embedded mode never loads it.
"""
