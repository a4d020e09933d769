"""The knowledge base on disk: SQLite store, FAISS vectors, embeddings, hybrid retrieval."""
