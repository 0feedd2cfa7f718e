"""Source-system feeds: formats, reading, staging, loading (docs/feeds.md)."""
