"""Celery tasks of the assignment area: thin wrappers around its services."""
