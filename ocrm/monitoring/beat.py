"""Celery beat's scheduler (settings.CELERY_BEAT_SCHEDULER): django-celery-beat's database
scheduler that also records each tick, so the operator page and the metrics can tell that beat
is alive (a beat that died sends nothing and says nothing)."""

import logging

from django_celery_beat.schedulers import DatabaseScheduler

from ocrm.monitoring import state

logger = logging.getLogger("ocrm.monitoring")


class HeartbeatScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        try:
            state.record_beat_tick()
        except Exception:  # Redis down: beat keeps scheduling; the page will say beat is silent
            logger.warning("beat tick not recorded", exc_info=True)
        return interval
