"""The contact policy: what the customer agreed to, and what the outbox asks of it.

* ``set_policy(customer, actor, **values)`` — the 360 form's action (audited);
* ``resolve_customers(bank_id, ids)`` — the outbox's recipient resolver for the kind "customer":
  the primary mobile / e-mail not opted out, the policy's language, the customer's own zone else
  the owning branch's (two queries for any number of customers);
* ``suppression_rule(recipient, purpose, channel)`` — the outbox's rule: do-not-contact, no SMS /
  no e-mail, no marketing consent, opted out of service messages;
* ``register()`` — both into ocrm.outbox.recipients (from CustomersConfig.ready())."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from customers.consent import events, policy
from customers.consent import parameters as consent_parameters
from customers.consent.models import ContactPolicy
from customers.master.models import ContactPoint, Customer
from ocrm import parameters
from ocrm.outbox import recipients
from ocrm.outbox.models import OutboundMessage, Purpose, State

KIND = "customer"
POLICY_FIELDS = ("marketing_consent", "service_opt_out", "language", "time_zone")
CUSTOMER_FIELDS = ("do_not_contact", "do_not_sms", "do_not_email")


def policy_of(customer):
    """The customer's policy (an unsaved default when none was recorded: no marketing consent)."""
    try:
        return customer.contact_policy
    except ContactPolicy.DoesNotExist:
        return ContactPolicy(bank_id=customer.bank_id, customer=customer)


@transaction.atomic
def set_policy(customer, actor, **values):
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    policy = policy_of(customer)
    before = events.policy_values(customer, policy)
    for name in POLICY_FIELDS:
        if name in values:
            setattr(policy, name, values[name])
    policy.updated_by = actor
    policy.full_clean(exclude=["customer", "bank", "updated_by"])
    policy.save()
    changed = [name for name in CUSTOMER_FIELDS if name in values and getattr(customer, name) != values[name]]
    for name in changed:
        setattr(customer, name, values[name])
    if changed:
        Customer.objects.filter(pk=customer.pk).update(**{name: values[name] for name in changed})
    events.policy_changed(customer, policy, actor, before)
    return policy


def suppressed_messages(customer, limit=20):
    return list(
        OutboundMessage.objects.filter(
            bank_id=customer.bank_id, recipient_kind=KIND, recipient_id=str(customer.pk), state=State.SUPPRESSED
        )
        .only("id", "created_at", "channel", "purpose", "reason", "template__code")
        .select_related("template")
        .order_by("-created_at")[:limit]
    )


def _first(points, kinds):
    for point in sorted(points, key=lambda p: (not p.is_primary, p.pk)):
        if point.kind in kinds and not point.opted_out:
            return point.value
    return ""


def resolve_customers(bank_id, ids):
    numeric = [int(i) for i in ids if str(i).isdigit()]
    customers = (
        Customer.objects.filter(bank_id=bank_id, pk__in=numeric)
        .select_related("branch", "contact_policy")
        .prefetch_related(
            Prefetch(
                "contact_points",
                queryset=ContactPoint.objects.only("id", "customer_id", "kind", "value", "is_primary", "opted_out"),
            )
        )
        .only(
            "id", "bank_id", "number", "branch__timezone", "branch__path", "contact_policy__language", "contact_policy__time_zone"
        )
    )
    found = {}
    for customer in customers:
        points = list(customer.contact_points.all())
        policy = policy_of(customer)
        found[str(customer.pk)] = recipients.Recipient(
            kind=KIND,
            id=str(customer.pk),
            bank_id=bank_id,
            phone=_first(points, (ContactPoint.Kind.MOBILE,)),
            email=_first(points, (ContactPoint.Kind.EMAIL,)),
            language=policy.language,
            time_zone=policy.time_zone or customer.branch.timezone,
            ref=customer.number,
            branch_path=customer.branch.path,
        )
    return found


def suppression_rule(recipient, purpose, channel):
    if recipient.kind != KIND:
        return None
    row = (
        Customer.objects.filter(pk=int(recipient.id))
        .values(
            "do_not_contact", "do_not_sms", "do_not_email", "contact_policy__marketing_consent", "contact_policy__service_opt_out"
        )
        .first()
    )
    if row is None:
        return _("Unknown customer.")
    if row["do_not_contact"]:
        return _("The customer must not be contacted (do not contact).")
    if channel == "sms" and row["do_not_sms"]:
        return _("The customer wants no SMS.")
    if channel == "email" and row["do_not_email"]:
        return _("The customer wants no e-mail.")
    if purpose == Purpose.MARKETING and not row["contact_policy__marketing_consent"]:
        return _("The customer has not agreed to marketing messages.")
    if purpose == Purpose.SERVICE and row["contact_policy__service_opt_out"]:
        return _("The customer opted out of service messages.")
    if purpose == Purpose.MARKETING:
        # The frequency cap over all campaigns and channels (customers.consent.policy).
        code = policy.exclusion_for(int(recipient.id), policy.Context(bank_id=recipient.bank_id, channels=(channel,)))
        if code == "frequency_cap":
            return _("The customer was already contacted as often as the contact policy allows.")
    return None


def register():
    parameters.declare(consent_parameters.PARAMETERS)
    recipients.register_resolver(KIND, resolve_customers, model="customers.customer")
    recipients.register_rule(suppression_rule)
