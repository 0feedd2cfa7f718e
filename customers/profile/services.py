"""What a person adds to a customer from the 360° page (notes, logged service contacts,
documents, relationships and tags), and what it shows of personal data on request (one
customer's personal data in clear, documents).

Every service takes the acting user, re-reads the customer inside its transaction through
Customer.objects.visible_to(actor) (NotVisible when it is outside the scope, even if the page
was opened before a reassignment) and is audited: rows of models under the audit safety
net in the actor's name (audit.acting_as), tag links and views of personal data by
customers.profile.events. ValidationError names the field at fault; nothing is half-written.
"""

import datetime
import os
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import (
    Address,
    ContactPoint,
    Customer,
    CustomerDocument,
    CustomerNote,
    CustomerTag,
    Holding,
    IdentityDocument,
    Relationship,
    RetailProfile,
    ServiceContact,
    Tag,
)
from customers.profile import events
from ocrm import links, parameters, tenants
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify
from sysadmin.org.models import Staff

NOTE_MAX_CHARS = 5000


CLOCK_SKEW = 300  # seconds a contact time may lie in the future (clocks of phones and PCs differ)


MAX_DOCUMENT_BYTES_PARAM = "customers.document_max_bytes"


# File types accepted as customer documents, recognised by their first bytes (never by the name
# or the browser's content type, which the uploader controls): (magic, content type, extension).
DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def _locked_customer(actor, customer):
    """The customer, locked, if the actor may still see it; else NotVisible."""
    locked = Customer.objects.visible_to(actor).active().select_for_update(of=("self",)).filter(pk=customer.pk).first()
    if locked is None:
        raise NotVisible
    return locked


@dataclass
class Revealed:
    """One customer's personal data in clear, each kind only with its view permission."""

    documents: list = field(default_factory=list)  # [(identity document, clear number or None)]
    contacts: list = field(default_factory=list)  # contact points: phones, e-mail, messenger IDs
    addresses: list = field(default_factory=list)
    holdings: list = field(default_factory=list)  # their account numbers
    birth_date: datetime.date | None = None

    def __bool__(self):
        return bool(self.documents or self.contacts or self.addresses or self.holdings or self.birth_date)


REVEALS_ALERT_PARAM = "customers.pii_reveals_alert_per_day"


def reveal_pii(customer, actor):
    """The customer's personal data in clear (identity numbers, contact points, addresses,
    account numbers, birth date) for an actor who may unmask; audited once per reveal, and
    the auditors are alerted when the actor reveals more customers in a day than the bank's
    customers.pii_reveals_alert_per_day. Returns a Revealed."""
    if not actor.has_perm("customers.unmask_pii"):
        raise PermissionDenied(_("You may not see personal data in clear."))
    revealed = Revealed()
    may = actor.has_perm
    if may("customers.view_identitydocument"):
        documents = IdentityDocument.objects.filter(customer=customer).order_by("-is_primary", "doc_type", "pk")
        revealed.documents = [(document, document.clear_number()) for document in documents]
    if may("customers.view_contactpoint"):
        revealed.contacts = list(ContactPoint.objects.filter(customer=customer).order_by("-is_primary", "kind", "pk"))
    if may("customers.view_address"):
        revealed.addresses = list(Address.objects.filter(customer=customer).order_by("-is_primary", "kind", "pk"))
    if may("customers.view_holding"):
        revealed.holdings = list(Holding.objects.filter(customer=customer).select_related("product").order_by("account_number"))
    if customer.is_retail:
        revealed.birth_date = RetailProfile.objects.filter(customer=customer).values_list("birth_date", flat=True).first()
    events.pii_revealed(customer, actor, revealed)
    _watch_reveals(actor, customer.bank_id)
    return revealed


def reveals_today(actor, bank_id):
    """How many reveals `actor` made since midnight in the bank's time zone."""
    midnight = timezone.localtime(timezone.now(), tenants.bank_zone(bank_id)).replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditLog.objects.filter(
        actor=actor, at__gte=midnight, action=AuditLog.Action.VIEW_PII, detail__event="pii_revealed"
    ).count()


def _watch_reveals(actor, bank_id):
    """Alert the bank's auditors (once a day per person) when `actor` passed the day's limit."""
    limit = parameters.get(REVEALS_ALERT_PARAM, bank_id)
    count = reveals_today(actor, bank_id)
    if count <= limit:
        return
    day = timezone.localdate(timezone.now(), tenants.bank_zone(bank_id))
    name = actor.display_name or actor.username
    notify(
        auditors_of(bank_id),
        lambda r: _("%(name)s revealed the personal data of %(n)d customers today") % {"name": name, "n": count},
        lambda r: _("More than the bank's limit of %(limit)d reveals a day: see the audit log.") % {"limit": limit},
        link=links.url("audit_log") + "?" + urlencode({"user": actor.username, "action": AuditLog.Action.VIEW_PII}),
        level=Notification.Level.WARNING,
        dedupe_key=f"pii-reveals:{actor.pk}:{day.isoformat()}",
    )
    events.reveals_alerted(actor, bank_id, count, limit)


def auditors_of(bank_id):
    """The bank's active staff who may read the audit log (the auditors)."""
    holds = Q(groups__permissions__codename="view_audit", groups__permissions__content_type__app_label="sysadmin") | Q(
        user_permissions__codename="view_audit", user_permissions__content_type__app_label="sysadmin"
    )
    return Staff.objects.filter(holds, bank_id=bank_id, is_active=True).distinct()


def open_document(customer, document_id, actor):
    """(document, open file) of one of the customer's documents the actor may see; every view is
    audited. NotVisible when it is not theirs to see, or its file is gone from storage."""
    document = CustomerDocument.objects.visible_to(actor).filter(pk=document_id, customer=customer).first()
    if document is None:
        raise NotVisible
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotVisible from None
    events.document_viewed(document, actor, customer)
    return document, handle


def add_note(customer, text, actor):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError({"text": _("A note may hold at most %(n)d characters.") % {"n": NOTE_MAX_CHARS}})
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        return CustomerNote.objects.create(bank_id=customer.bank_id, customer=customer, author=actor, text=text)


# What happens after a service contact is logged, filled by higher apps from their ready()
# (workbench: the next action becomes a task). Each hook(contact, actor) runs inside the
# contact's transaction: a refusal there undoes the contact too.
_after_contact_logged = []


def after_contact_logged(hook):
    if hook not in _after_contact_logged:
        _after_contact_logged.append(hook)


def log_service_contact(customer, data, actor):
    """data: channel, occurred_at (aware), subject, outcome, notes, next_action, next_action_date, role."""
    errors = {}
    occurred_at = data.get("occurred_at") or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(seconds=CLOCK_SKEW):
        errors["occurred_at"] = _("The contact cannot lie in the future.")
    next_action, next_date = (data.get("next_action") or "").strip(), data.get("next_action_date")
    if next_date and not next_action:
        errors["next_action"] = _("Say what the next action is, or clear its date.")
    if next_date and next_date < timezone.localtime(occurred_at).date():
        errors["next_action_date"] = _("The next action cannot come before the contact.")
    if not (data.get("subject") or "").strip():
        errors["subject"] = _("Enter the subject.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        contact = ServiceContact.objects.create(
            bank_id=customer.bank_id,
            customer=customer,
            staff=actor,
            role=data.get("role") or ServiceContact.Role.MANAGER,
            channel=data["channel"],
            occurred_at=occurred_at,
            subject=data["subject"].strip(),
            outcome=(data.get("outcome") or "").strip(),
            notes=(data.get("notes") or "").strip(),
            next_action=next_action,
            next_action_date=next_date,
        )
        for hook in _after_contact_logged:
            hook(contact, actor)
        return contact


def max_document_bytes(bank_id):
    return parameters.get(MAX_DOCUMENT_BYTES_PARAM, bank_id)


def sniff_document(uploaded):
    """(content type, extension) decided by the file's first bytes; ValidationError otherwise."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for magic, content_type, extension in DOCUMENT_SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    raise ValidationError(
        {
            "file": _("%(name)s is not a PDF, JPEG or PNG file (judged by its content, not its name).")
            % {"name": os.path.basename(uploaded.name or "")[:100]}
        }
    )


def upload_document(customer, uploaded, doc_type, description, actor):
    """Store an uploaded file as a customer document: type by content, size capped by the bank's
    parameter customers.document_max_bytes, stored through Django storage under
    customers.master.models.document_path (no name or PII in the path)."""
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file.")})
    limit = max_document_bytes(customer.bank_id)
    if uploaded.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)d bytes; at most %(limit)d bytes are accepted.")
                % {"size": uploaded.size, "limit": limit}
            }
        )
    if uploaded.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type, extension = sniff_document(uploaded)
    if doc_type not in CustomerDocument.Type.values:
        raise ValidationError({"doc_type": _("Choose the type of document.")})
    original_name = os.path.basename((uploaded.name or "").replace("\\", "/"))[:200] or f"document.{extension}"
    stored = None
    try:
        with transaction.atomic(), audit.acting_as(actor):
            customer = _locked_customer(actor, customer)
            document = CustomerDocument(
                bank_id=customer.bank_id,
                customer=customer,
                doc_type=doc_type,
                original_name=original_name,
                content_type=content_type,
                size=uploaded.size,
                description=(description or "").strip(),
                uploaded_by=actor,
            )
            # The stored name's extension comes from the sniffed type, never from the uploader's name.
            document.file.save(f"document.{extension}", uploaded, save=False)
            stored = document.file.name
            document.save()
    except BaseException:
        # Nothing half-written: a failed transaction leaves no file behind in storage.
        if stored:
            document.file.storage.delete(stored)
        raise
    return document


def add_relationship(customer, other_number, kind, share_percent, note, actor):
    """`customer` <kind> the customer numbered `other_number`; both must be visible to the actor."""
    if kind not in Relationship.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of relationship.")})
    if share_percent is not None and kind != Relationship.Kind.SHAREHOLDER:
        raise ValidationError({"share_percent": _("Only a shareholder relation has a share.")})
    if share_percent is not None and not (0 <= share_percent <= 100):
        raise ValidationError({"share_percent": _("A share lies between 0 and 100 %.")})
    number = (other_number or "").strip()
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        other = (
            (Customer.objects.visible_to(actor).active().filter(bank_id=customer.bank_id, number=number).first())
            if number
            else None
        )
        if other is None:
            raise ValidationError(
                {"other_number": _("No customer numbered %(number)s in your portfolio.") % {"number": number or "—"}}
            )
        if other.pk == customer.pk:
            raise ValidationError({"other_number": _("A customer cannot be related to themselves.")})
        if Relationship.objects.filter(from_customer=customer, to_customer=other, kind=kind).exists():
            raise ValidationError({"other_number": _("This relationship is already recorded.")})
        try:
            with transaction.atomic():
                return Relationship.objects.create(
                    bank_id=customer.bank_id,
                    from_customer=customer,
                    to_customer=other,
                    kind=kind,
                    share_percent=share_percent,
                    note=(note or "").strip(),
                )
        except IntegrityError:  # recorded by someone else a moment ago
            raise ValidationError({"other_number": _("This relationship is already recorded.")}) from None


def visible_relationship(customer, pk, actor):
    """A relationship of the customer whose other side the actor may also see; else NotVisible."""
    relationship = (
        Relationship.objects.filter(pk=pk, bank_id=customer.bank_id).select_related("from_customer", "to_customer").first()
    )
    if relationship is None or customer.pk not in (relationship.from_customer_id, relationship.to_customer_id):
        raise NotVisible
    other_id = relationship.to_customer_id if relationship.from_customer_id == customer.pk else relationship.from_customer_id
    if not Customer.objects.visible_to(actor).filter(pk=other_id).exists():
        raise NotVisible
    return relationship


def remove_relationship(customer, pk, actor):
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        relationship = visible_relationship(customer, pk, actor)
        relationship.delete()
    return relationship


def _tag_names(customer):
    return sorted(Tag.objects.filter(customertag__customer=customer).values_list("name", flat=True))


def add_tag(customer, name, actor):
    """Tag the customer with the bank's tag `name`; a new tag is created for actors who may."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a tag.")})
    if len(name) > Tag._meta.get_field("name").max_length:
        raise ValidationError({"name": _("A tag has at most %(n)d characters.") % {"n": Tag._meta.get_field("name").max_length}})
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        tag = Tag.objects.filter(bank_id=customer.bank_id, name=name).first()
        if tag is None:
            if not actor.has_perm("customers.add_tag"):
                raise ValidationError({"name": _("There is no tag %(name)s; ask for it to be created.") % {"name": name}})
            tag, _created = Tag.objects.get_or_create(bank_id=customer.bank_id, name=name)
        before = _tag_names(customer)
        if tag.name in before:
            raise ValidationError({"name": _("The customer already has the tag %(name)s.") % {"name": name}})
        CustomerTag.objects.create(customer=customer, tag=tag, added_by=actor)
        events.tag_added(customer, actor, tag, before, _tag_names(customer))
    return tag


def remove_tag(customer, tag_pk, actor):
    with transaction.atomic(), audit.acting_as(actor):
        customer = _locked_customer(actor, customer)
        link = CustomerTag.objects.filter(customer=customer, tag_id=tag_pk, tag__bank_id=customer.bank_id).first()
        if link is None:
            raise NotVisible
        before = _tag_names(customer)
        link.delete()
        events.tag_removed(customer, actor, link.tag, before, _tag_names(customer))
    return link.tag
