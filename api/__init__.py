"""The HTTP API: the FastAPI app, its routes, request models and request rules."""
