"""Watching the system run: the monitoring token, Prometheus metrics, structured JSON logs with a
request id carried into Celery tasks, and the operator page (workers, beat, queue, last runs)."""
