"""The data lifecycle: monthly partitions of the largest tables (partitions.py), retention
clean-ups (retention.py), backups with a manifest and their verified restore (backup.py)."""
