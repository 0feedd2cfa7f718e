"""Celery tasks of the feeds area: thin wrappers around its services."""
