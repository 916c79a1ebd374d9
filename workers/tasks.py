"""Thin Celery tasks: each takes ids, opens a worker session and calls a consult service."""
