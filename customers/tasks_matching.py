"""Celery tasks of the matching area: thin wrappers around its services."""
