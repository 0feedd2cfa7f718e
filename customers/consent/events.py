"""Audit events of the contact policy (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def policy_values(customer, policy):
    return {
        "marketing_consent": policy.marketing_consent,
        "service_opt_out": policy.service_opt_out,
        "language": policy.language,
        "time_zone": policy.time_zone,
        "do_not_contact": customer.do_not_contact,
        "do_not_sms": customer.do_not_sms,
        "do_not_email": customer.do_not_email,
    }


def policy_changed(customer, policy, actor, before):
    return audit.record(
        AuditLog.Action.UPDATE,
        customer,
        actor=actor,
        changes=audit.diff(before, policy_values(customer, policy)),
        bank_id=customer.bank_id,
        detail={"event": "contact_policy_changed", "customer": customer.number},
    )
