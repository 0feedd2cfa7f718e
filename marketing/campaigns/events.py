"""Audit events of campaigns (the convention: ocrm/audit/__init__.py): one entry per step, with
counts for the set-based ones (a launch is one entry, not one per task)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def _values(campaign):
    return {
        "name": campaign.name,
        "status": campaign.status,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "holdout_percent": campaign.holdout_percent,
        "channels": list(campaign.channels),
    }


def _entry(campaign, event, actor, action=AuditLog.Action.UPDATE, **detail):
    return audit.record(
        action,
        campaign,
        actor=actor,
        changes={k: [None, v] for k, v in _values(campaign).items()},
        bank_id=campaign.bank_id,
        detail={"event": event, **detail},
    )


def campaign_created(campaign, actor):
    return _entry(campaign, "campaign_created", actor, AuditLog.Action.CREATE)


def campaign_changed(campaign, actor):
    return _entry(campaign, "campaign_changed", actor)


def campaign_dry_run(campaign, actor, reached):
    return _entry(campaign, "campaign_dry_run", actor, reached=reached)


def campaign_submitted(campaign, actor):
    return _entry(campaign, "campaign_submitted", actor)


def campaign_launched(campaign, actor, tasks_created):
    return _entry(campaign, "campaign_launched", actor, tasks_created=tasks_created)


def response_recorded(member, actor, before):
    return audit.record(
        AuditLog.Action.UPDATE,
        member,
        actor=actor,
        changes={"response": [before, member.response]},
        bank_id=member.campaign.bank_id,
        detail={"event": "campaign_response", "campaign": member.campaign_id},
    )
