"""Models of the matching area (see customers.models)."""
