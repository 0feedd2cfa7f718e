"""Celery tasks of the sharing area: thin wrappers around its services."""
