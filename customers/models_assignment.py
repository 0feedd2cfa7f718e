"""Models of the assignment area (see customers.models)."""
