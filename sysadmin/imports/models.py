"""Models of the organisation-data import (staging batches and rows)."""
