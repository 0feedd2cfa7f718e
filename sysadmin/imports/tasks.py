"""Celery tasks of the organisation-data import (the inbox job)."""
