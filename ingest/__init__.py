"""Ingestion: find sources, parse each format, extract people, chunk."""
