"""Outgoing and incoming mail."""
