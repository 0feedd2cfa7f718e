"""Staff messaging: start a conversation, send, read, hide, link a customer, open a file, search,
and what an auditor may do. Every function takes the actor explicitly; a conversation the actor
does not take part in is NotVisible (a 404), whoever they are.

"Anything new?" (docs/messaging.md): the id of the newest message of any of a person's
conversations is kept in the cache under `messaging:last:<user id>` (written after the sending
transaction commits, for every participant). The poll compares it with the id the page holds:
no SQL at all while the cache has it, one indexed query (`last_id_from_db`) when it was evicted."""

import os

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Customer
from customers.master.search import name_grams, query_grams
from ocrm import parameters
from ocrm.errors import NotVisible
from sysadmin.org.models import Staff
from workbench.messaging import events
from workbench.messaging.models import Conversation, Message, Participant

MAX_BODY = 5000
MAX_PARTICIPANTS = 50
PAGE_SIZE = 50
SEARCH_LIMIT = 100
LAST_SECONDS = 24 * 3600
UNREAD_SECONDS = 300

# Files a message may carry, recognised by their first bytes (never by the name or the
# browser's content type): (magic, content type, label).
ATTACHMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"GIF87a", "image/gif", "GIF"),
    (b"GIF89a", "image/gif", "GIF"),
    (b"PK\x03\x04", "application/zip", "Office/ZIP"),  # docx, xlsx, pptx are ZIP files
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", "Office 97-2003"),
)


# --- the cheap "anything new?" ---------------------------------------------------------------------


def _last_key(user_id):
    return f"messaging:last:{user_id}"


def _unread_key(user_id):
    return f"messaging:unread:{user_id}"


def _customers_key(user_id):
    return f"messaging:customers:{user_id}"


def linked_customer_ids(user):
    """Ids of the customers the person's conversations are linked to (cache, else one query): the
    360 page asks it on every customer and costs no query for the many customers without any."""
    key = _customers_key(user.pk)
    ids = cache.get(key)
    if ids is None:
        ids = sorted(
            set(Conversation.objects.visible_to(user).filter(customer__isnull=False).values_list("customer_id", flat=True))
        )
        cache.set(key, ids, LAST_SECONDS)
    return set(ids)


def _forget_linked_customers(conversation):
    user_ids = list(Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True))
    transaction.on_commit(lambda: cache.delete_many([_customers_key(uid) for uid in user_ids]))


def last_id_from_db(user_id):
    """The newest message id of the person's conversations: one indexed query."""
    return Conversation.objects.filter(participants__user_id=user_id).aggregate(last=Max("last_message_id"))["last"] or 0


def last_message_id(user_id):
    """The newest message id of any of the person's conversations (cache, else one query)."""
    value = cache.get(_last_key(user_id))
    if value is None:
        value = last_id_from_db(user_id)
        cache.set(_last_key(user_id), value, LAST_SECONDS)
    return value


def _announce(user_ids, message_id):
    cache.set_many({_last_key(uid): message_id for uid in user_ids}, LAST_SECONDS)
    cache.delete_many([_unread_key(uid) for uid in user_ids])


def unread_count(user):
    """Conversations with a message the person has not read (the navigation badge), cached
    until the next message to them or their next read."""
    if not user.is_authenticated or user.bank_id is None:
        return None
    cached = getattr(user, "_messaging_unread", None)
    if cached is None:
        cached = cache.get(_unread_key(user.pk))
        if cached is None:
            cached = Participant.objects.filter(
                user=user, conversation__last_message_id__gt=F("last_read_id"), hidden=False
            ).count()
            cache.set(_unread_key(user.pk), cached, UNREAD_SECONDS)
        user._messaging_unread = cached
    return cached or None


def may_message(user):
    return user.is_authenticated and user.is_active and user.bank_id is not None


# --- conversations ---------------------------------------------------------------------------------


def colleagues_by_names(actor, text):
    """Active staff of the actor's bank named in `text` (user names or employee numbers,
    separated by commas, spaces or semicolons); ValidationError naming the field otherwise."""
    names = [name for name in (text or "").replace(";", ",").replace(" ", ",").split(",") if name.strip()]
    names = list(dict.fromkeys(name.strip() for name in names))
    if not names:
        raise ValidationError({"participants": _("Name at least one colleague (user name or employee number).")})
    if len(names) > MAX_PARTICIPANTS:
        raise ValidationError({"participants": _("At most %(n)d colleagues in one conversation.") % {"n": MAX_PARTICIPANTS}})
    found = list(
        Staff.objects.filter(bank_id=actor.bank_id, is_active=True)
        .exclude(status=Staff.Status.LEFT)
        .filter(Q(username__in=names) | Q(employee_no__in=names))
    )
    known = {s.username for s in found} | {s.employee_no for s in found if s.employee_no}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValidationError(
            {"participants": _("No active colleague of your bank is called: %(names)s.") % {"names": ", ".join(unknown[:10])}}
        )
    others = [s for s in found if s.pk != actor.pk]
    if not others:
        raise ValidationError({"participants": _("Name a colleague other than yourself.")})
    return others


def _customer_for(actor, number):
    number = (number or "").strip()
    if not number:
        return None
    customer = Customer.objects.visible_to(actor).filter(number=number).first()
    if customer is None:
        raise ValidationError({"customer": _("No customer %(number)s among the customers you may see.") % {"number": number}})
    return customer


def start_conversation(actor, others, *, title="", customer_number="", body="", attachment=None):
    """A conversation of `actor` and `others` (staff of the actor's bank), with its first
    message. Two people without a title: their one-to-one conversation, opened again if it exists."""
    if not may_message(actor):
        raise NotVisible
    if any(other.bank_id != actor.bank_id or not other.is_active for other in others) or not others:
        raise ValidationError({"participants": _("Name active colleagues of your own bank.")})
    customer = _customer_for(actor, customer_number)
    title = (title or "").strip()[:200]
    direct = len(others) == 1 and not title
    with transaction.atomic():
        conversation = None
        if direct:
            key = ":".join(str(pk) for pk in sorted((actor.pk, others[0].pk)))
            conversation = Conversation.objects.select_for_update().filter(bank_id=actor.bank_id, direct_key=key).first()
        if conversation is None:
            conversation = Conversation.objects.create(
                bank_id=actor.bank_id,
                kind=Conversation.Kind.DIRECT if direct else Conversation.Kind.GROUP,
                title=title,
                direct_key=key if direct else "",
                customer=customer,
                created_by=actor,
            )
            people = [actor, *others]
            Participant.objects.bulk_create(
                [Participant(bank_id=actor.bank_id, conversation=conversation, user=person) for person in people]
            )
            events.conversation_started(conversation, actor, [p.pk for p in people])
            if customer is not None:
                _forget_linked_customers(conversation)
        elif customer is not None and conversation.customer_id != customer.pk:
            before = conversation.customer_id
            conversation.customer = customer
            conversation.save(update_fields=["customer"])
            events.customer_linked(conversation, actor, before)
            _forget_linked_customers(conversation)
        if (body or "").strip() or attachment is not None:
            send_message(conversation, actor, body, attachment)
    return conversation


def conversation_for(user, pk):
    """The conversation `pk` if `user` takes part in it; else NotVisible."""
    conversation = Conversation.objects.visible_to(user).select_related("customer").filter(pk=pk).first()
    if conversation is None:
        raise NotVisible
    return conversation


def _participant(conversation, user):
    participant = Participant.objects.filter(conversation=conversation, user=user).first()
    if participant is None:
        raise NotVisible
    return participant


def sniff_attachment(uploaded):
    """The content type decided by the file's first bytes; ValidationError naming the field otherwise."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for magic, content_type, _label in ATTACHMENT_SIGNATURES:
        if head.startswith(magic):
            return content_type
    raise ValidationError(
        {
            "attachment": _("%(name)s is not a PDF, image (PNG, JPEG, GIF) or Office file (judged by its content, not its name).")
            % {"name": os.path.basename(uploaded.name or "")[:100]}
        }
    )


def check_attachment(uploaded, bank_id):
    limit = parameters.get("messaging.attachment_max_bytes", bank_id)
    if uploaded.size == 0:
        raise ValidationError({"attachment": _("The file is empty.")})
    if uploaded.size > limit:
        raise ValidationError(
            {
                "attachment": _("The file is %(size)d bytes; at most %(limit)d bytes are accepted.")
                % {"size": uploaded.size, "limit": limit}
            }
        )
    return sniff_attachment(uploaded)


def send_message(conversation, actor, body="", attachment=None):
    """Add a message from a participant. Everyone's hidden copy of the conversation shows
    again; the participants' pages learn of it at their next poll (after the commit)."""
    body = (body or "").strip()
    if not body and attachment is None:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("A message holds at most %(n)d characters.") % {"n": MAX_BODY}})
    content_type = check_attachment(attachment, conversation.bank_id) if attachment is not None else ""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        if locked is None:
            raise NotVisible
        me = _participant(locked, actor)
        message = Message(
            bank_id=locked.bank_id,
            conversation=locked,
            sender=actor,
            body=body,
            body_grams=name_grams(body),
            sent_at=timezone.now(),
        )
        if attachment is not None:
            message.attachment_name = os.path.basename(attachment.name or "file")[:200]
            message.attachment_type = content_type
            message.attachment_size = attachment.size
            message.attachment.save(message.attachment_name, attachment, save=False)
        message.save()
        Conversation.objects.filter(pk=locked.pk).update(last_message_id=message.pk, last_message_at=message.sent_at)
        Participant.objects.filter(conversation=locked, hidden=True).update(hidden=False)
        Participant.objects.filter(pk=me.pk).update(last_read_id=message.pk)
        user_ids = list(Participant.objects.filter(conversation=locked).values_list("user_id", flat=True))
        transaction.on_commit(lambda: _announce(user_ids, message.pk))
    conversation.last_message_id = message.pk
    return message


def mark_read(conversation, user, up_to_id):
    """The person has seen the conversation up to message `up_to_id` (NotVisible if they do not take part)."""
    _participant(conversation, user)
    updated = Participant.objects.filter(conversation=conversation, user=user, last_read_id__lt=up_to_id).update(
        last_read_id=up_to_id
    )
    if updated:
        cache.delete(_unread_key(user.pk))
    return updated


def hide_conversation(conversation, user):
    """Hide the conversation from the person's list (never deleted; a new message shows it again)."""
    _participant(conversation, user)
    Participant.objects.filter(conversation=conversation, user=user).update(hidden=True)
    cache.delete(_unread_key(user.pk))


def link_customer(conversation, actor, customer_number):
    """Link the conversation to a customer the actor may see (or unlink with an empty number)."""
    _participant(conversation, actor)
    customer = _customer_for(actor, customer_number)
    before = conversation.customer_id
    conversation.customer = customer
    conversation.save(update_fields=["customer"])
    events.customer_linked(conversation, actor, before)
    _forget_linked_customers(conversation)
    return conversation


def my_conversations(user, *, hidden=False):
    """The person's conversations, newest first, with what the list shows (a fixed number of queries)."""
    rows = (
        Participant.objects.filter(user=user, hidden=hidden, bank_id=user.bank_id)
        .select_related("conversation", "conversation__customer")
        .order_by("-conversation__last_message_id")
    )
    return rows


def names_of(conversation_ids, exclude_user=None):
    """{conversation id: [display names of the participants]} in one query."""
    result = {}
    rows = (
        Participant.objects.filter(conversation_id__in=conversation_ids)
        .select_related("user")
        .only("conversation_id", "user__username", "user__name_local", "user__first_name", "user__last_name")
        .order_by("id")
    )
    for row in rows:
        if exclude_user is not None and row.user_id == exclude_user.pk:
            continue
        result.setdefault(row.conversation_id, []).append(row.user.display_name)
    return result


def messages_page(conversation, *, before=None, after=None, size=PAGE_SIZE):
    """One page of messages (oldest first): the newest `size`, those before id `before`
    ("load earlier") or every one after id `after` (the poll). Returns (messages, has_earlier)."""
    qs = Message.objects.filter(conversation=conversation).select_related("sender", "sender__branch")
    if after is not None:
        rows = list(qs.filter(id__gt=after).order_by("id")[: size * 4])
        return rows, False
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    has_earlier = len(rows) > size
    return list(reversed(rows[:size])), has_earlier


def other_people(conversation, user):
    return list(
        Staff.objects.filter(pk__in=Participant.objects.filter(conversation=conversation).values("user_id"))
        .exclude(pk=user.pk)
        .select_related("branch")
        .order_by("username")
    )


def open_attachment(message_id, user):
    """(message, open file) of a message's file for a participant; audited."""
    message = Message.objects.visible_to(user).filter(pk=message_id).exclude(attachment="").first()
    if message is None:
        raise NotVisible
    events.attachment_downloaded(message, user)
    return message, message.attachment.open("rb")


def open_attachment_as_auditor(message_id, user):
    message = Message.objects.auditable_by(user).filter(pk=message_id).exclude(attachment="").first()
    if message is None:
        raise NotVisible
    events.attachment_downloaded(message, user, as_auditor=True)
    return message, message.attachment.open("rb")


# --- search ----------------------------------------------------------------------------------------


def search(messages, text):
    """Messages whose text holds the CJK fragment or words starting with the Latin fragments."""
    grams, recheck = query_grams(text)
    if not grams:
        return messages.none()
    messages = messages.filter(body_grams__contains=grams)
    if recheck:
        messages = messages.filter(body__contains=recheck)
    return messages


def search_mine(user, text, limit=SEARCH_LIMIT):
    rows = search(Message.objects.visible_to(user), text)
    return list(rows.select_related("sender", "conversation").order_by("-id")[:limit])


def audit_search(user, text):
    """Every message of the auditor's bank matching `text` (a queryset; the list page paginates)."""
    return search(Message.objects.auditable_by(user), text).select_related("sender", "conversation")


def audited_conversation(user, pk):
    """A conversation of the auditor's bank; its opening is audited."""
    conversation = Conversation.objects.auditable_by(user).filter(pk=pk).first()
    if conversation is None:
        raise NotVisible
    events.conversation_audited(conversation, user)
    return conversation


def export_rows(conversation, zone):
    """The header and every message of the conversation (times in `zone`), for the XLSX export."""
    yield [_("Sent"), _("Sender"), _("Branch"), _("Message"), _("File")]
    rows = Message.objects.filter(conversation=conversation).select_related("sender", "sender__branch").order_by("id")
    for message in rows.iterator(chunk_size=2000):
        yield [
            timezone.localtime(message.sent_at, zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            message.sender.display_name,
            str(message.sender.branch or ""),
            message.body,
            message.attachment_name,
        ]
