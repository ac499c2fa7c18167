"""Adapters: the optional edges of servicekit (storage examples, later CLI and HTTP).

Nothing here is imported by ``import servicekit``; the core never depends on an adapter.
"""
