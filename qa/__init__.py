"""Answering, expert ranking and the HTTP API."""
