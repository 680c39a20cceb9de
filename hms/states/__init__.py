"""Reflex states: thin handlers that read the session's user and call services."""
