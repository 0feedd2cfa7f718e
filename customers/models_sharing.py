"""Models of the sharing area (see customers.models)."""
