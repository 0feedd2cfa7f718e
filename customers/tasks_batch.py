"""Celery tasks of the batch area: thin wrappers around its services."""
