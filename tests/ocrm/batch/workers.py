"""Another worker, played by a thread on its own database connection, for tests of what a
delivery does while a run is held elsewhere."""

import contextlib
import threading

from django.db import connection

from ocrm.batch.runs import job_run


@contextlib.contextmanager
def run_held_elsewhere(job, **key):
    """For the block, a thread holds the run of `job` (job_run's keyword arguments); yields
    the run's id. The run succeeds when the block ends."""
    started, release, seen = threading.Event(), threading.Event(), {}

    def other_worker():
        try:
            with job_run(job, **key) as run:
                seen["id"] = run.id
                started.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert started.wait(20), "the other worker did not open its run"
        yield seen["id"]
    finally:
        release.set()
        thread.join(20)
