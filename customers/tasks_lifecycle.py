"""Celery tasks of the lifecycle area: thin wrappers around its services."""
