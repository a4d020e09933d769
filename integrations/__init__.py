"""Adapters that let other frameworks use Kenning (through the public API only)."""
