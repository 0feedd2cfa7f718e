"""The outbox: one delivery layer for SMS and e-mail.

Public API (later issues call it for campaign SMS and service-request status SMS)::

    from ocrm.outbox.services import send

    message = send(template, recipient, context, purpose, dedupe_key)

* ``template`` — a MessageTemplate (or ``(bank_id, code)``); its channel says SMS or e-mail,
  its category whether it waits out quiet hours (only a *transactional service* template does not).
* ``recipient`` — a model instance whose kind a resolver registered (a Customer, a Staff), or
  ``(kind, id)``, e.g. ``("customer", 42)``, ``("address", "+8613800000000")``.
  ocrm.outbox.recipients resolves it to an address, a language and a time zone.
* ``context`` — the template's variables, ``{"name": "王伟", "code": "123456"}``; a variable
  the template uses and the context lacks is a ValidationError (never a blank in an SMS).
* ``purpose`` — "marketing" or "service" (default: the template's); a marketing template is
  never sent as service.
* ``dedupe_key`` — unique per bank: a second send() with the same key returns the first
  message and sends nothing (a rerun of a job sends nothing twice).

It returns the OutboundMessage, already in its first state: ``queued`` (sent by the worker after
the caller's transaction commits), ``held`` (quiet hours in the recipient's zone: released by the
periodic task in their morning) or ``suppressed`` with the reason (deny list, opt-out,
do-not-contact, frequency cap, no address). States only move forward:
queued → held → sending → sent → delivered | failed | expired | suppressed.
"""

import datetime
import hashlib
import json
import logging
import re
import time
import uuid

from celery import current_app
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm import parameters, tenants
from ocrm.outbox import encoding, events, gateways, recipients, signing
from ocrm.outbox.models import (
    PLACEHOLDER,
    CallbackReceipt,
    Category,
    Channel,
    DeniedAddress,
    Gateway,
    MessageEvent,
    MessageTemplate,
    OutboundMessage,
    Purpose,
    State,
    earlier_states,
)

log = logging.getLogger(__name__)

DISPATCH_TASK = "ocrm.outbox.tasks.dispatch"
KICK_KEY = "outbox:kick"
KICK_SECONDS = 1
MAX_BATCH = 500
STOP_WORDS = {"STOP", "UNSUBSCRIBE", "TD", "T", "退订", "取消"}


# --- addresses and templates ----------------------------------------------------------


def normalise_address(address):
    address = (address or "").strip()
    if "@" in address:
        return address.lower()
    digits = re.sub(r"[^\d]", "", address)
    return "+" + digits if address.startswith("+") and digits else digits


def required_languages(bank_id):
    return [str(code).lower() for code in parameters.get("outbox.languages", bank_id) or []]


def template_errors(template):
    """{field: [messages]} of a template: unknown variables, missing translations, a marketing
    template marked transactional. Empty when it is fine."""
    errors = {}
    declared = set(template.variables or [])
    bad_names = [name for name in declared if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name))]
    if bad_names:
        errors.setdefault("variables", []).append(
            _("Variable names are letters, digits and _: %(names)s.") % {"names": ", ".join(sorted(map(str, bad_names)))}
        )
    texts = template.texts or {}
    for language in required_languages(template.bank_id):
        body = (texts.get(language) or {}).get("body", "").strip()
        if not body:
            errors.setdefault(f"body_{language}", []).append(
                _("The translation into %(language)s is missing.") % {"language": language}
            )
        if template.channel == Channel.EMAIL and not (texts.get(language) or {}).get("subject", "").strip():
            errors.setdefault(f"subject_{language}", []).append(
                _("The e-mail subject in %(language)s is missing.") % {"language": language}
            )
    for language, text in texts.items():
        for part in ("subject", "body"):
            unknown = sorted(set(PLACEHOLDER.findall((text or {}).get(part, ""))) - declared)
            if unknown:
                errors.setdefault(f"{part}_{language}", []).append(
                    _("Unknown variable: %(names)s (declare it or correct the spelling).") % {"names": ", ".join(unknown)}
                )
    if template.category == Category.TRANSACTIONAL and template.purpose == Purpose.MARKETING:
        errors.setdefault("category", []).append(
            _("A marketing template cannot be transactional: marketing always waits out quiet hours.")
        )
    return errors


def validate_template(template):
    errors = template_errors(template)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_template(template, actor):
    """Create or change a template after validating it (audited)."""
    before = None
    if template.pk:
        old = MessageTemplate.objects.filter(pk=template.pk).values("code", "purpose", "category", "texts").first()
        before = old
    validate_template(template)
    if MessageTemplate.objects.filter(bank_id=template.bank_id, code=template.code).exclude(pk=template.pk).exists():
        raise ValidationError({"code": _("Another template of the bank has the code %(code)s.") % {"code": template.code}})
    template.save()
    events.template_saved(template, actor, before)
    return template


def render(template, language, context):
    """(subject, body) of the template in `language` with the context's values."""
    text = template.text_for(language)
    context = context or {}
    missing = sorted({name for part in ("subject", "body") for name in PLACEHOLDER.findall(text.get(part, ""))} - set(context))
    if missing:
        raise ValidationError({"context": _("No value for the variable %(names)s.") % {"names": ", ".join(missing)}})

    def fill(value):
        return PLACEHOLDER.sub(lambda match: str(context[match.group(1)]), value or "")

    return fill(text.get("subject", "")), fill(text.get("body", ""))


def gateway_for(bank_id, channel):
    return Gateway.objects.filter(bank_id=bank_id, channel=channel, is_active=True).order_by("name", "pk").first()


def preview(template, sample, gateway=None):
    """Per language: the text with sample data, its encoding, segments, the character forcing
    UCS-2 and the cost estimate at the gateway's price (SMS only)."""
    gateway = gateway or gateway_for(template.bank_id, template.channel)
    rows = []
    for language in template.texts or {}:
        try:
            subject, body = render(template, language, sample)
            error = ""
        except ValidationError as exc:
            subject, body, error = "", "", "; ".join(exc.messages)
        analysis = encoding.analyse(body)
        rows.append(
            {
                "language": language,
                "subject": subject,
                "body": body,
                "error": error,
                "encoding": analysis.encoding,
                "units": analysis.units,
                "segments": analysis.segments,
                "forcing_char": analysis.forcing_char,
                "cost": analysis.cost(gateway.price_per_segment if gateway else 0),
                "currency": gateway.currency if gateway else "",
            }
        )
    return rows


# --- quiet hours ---------------------------------------------------------------------------


def _clock(text, fallback):
    try:
        hours, minutes = str(text).split(":")
        return datetime.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return fallback


def quiet_window(bank_id):
    return (
        _clock(parameters.get("outbox.quiet_start", bank_id), datetime.time(21, 0)),
        _clock(parameters.get("outbox.quiet_end", bank_id), datetime.time(8, 0)),
    )


def zone_of(time_zone, bank_id):
    return tenants.zone_named(time_zone) if time_zone else tenants.bank_zone(bank_id)


def quiet_until(zone, window, now):
    """When the quiet hours around `now` end in `zone` (a UTC instant), or None when `now` is
    not inside them. Computed on the local wall clock, so a daylight-saving change moves it."""
    start, end = window
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time()
    if start > end:  # across midnight, e.g. 21:00-08:00
        if clock >= start:
            end_date = local.date() + datetime.timedelta(days=1)
        elif clock < end:
            end_date = local.date()
        else:
            return None
    elif start <= clock < end:
        end_date = local.date()
    else:
        return None
    release = datetime.datetime.combine(end_date, end).replace(tzinfo=zone)
    return release.astimezone(datetime.UTC)


# --- queuing ---------------------------------------------------------------------------------


def _kick():
    """Wake the dispatcher (at most once a second; it runs a second later, so every message
    committed before it starts is seen)."""
    try:
        if cache.add(KICK_KEY, 1, timeout=KICK_SECONDS):
            current_app.send_task(DISPATCH_TASK, countdown=KICK_SECONDS)
    except Exception:  # noqa: BLE001 - the periodic task sends it anyway; a broker hiccup must not fail the caller
        log.exception("outbox: could not wake the dispatcher")


def kick_after_commit():
    """Dispatch once the current transaction commits (never an SMS for a change rolled back)."""
    if connection.in_atomic_block and any(item[1] is _kick for item in connection.run_on_commit):
        return
    transaction.on_commit(_kick)


def _frequency_capped(bank_id, recipient, now):
    limit = parameters.get("outbox.frequency_cap_messages", bank_id)
    days = parameters.get("outbox.frequency_cap_days", bank_id)
    if not limit or limit < 0:
        return False
    # Serialise marketing sends to one recipient so two concurrent sends cannot both slip under the cap.
    lock = int.from_bytes(
        hashlib.blake2b(f"outbox:{bank_id}:{recipient.kind}:{recipient.id}".encode(), digest_size=8).digest(), "big", signed=True
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
    count = (
        OutboundMessage.objects.filter(
            bank_id=bank_id,
            recipient_kind=recipient.kind,
            recipient_id=recipient.id,
            purpose=Purpose.MARKETING,
            created_at__gt=now - datetime.timedelta(days=days),
        )
        .exclude(state__in=[State.SUPPRESSED, State.FAILED])
        .count()
    )
    return count >= limit


def suppression_reason(bank_id, recipient, address, purpose, channel, now):
    """Why nothing may go to this recipient for this purpose (text), or None."""
    if DeniedAddress.objects.filter(bank_id=bank_id, address=address).exists():
        return _("The number is on the deny list (STOP or blocked).")
    reason = recipients.suppression_reason(recipient, purpose, channel)
    if reason:
        return reason
    if purpose == Purpose.MARKETING and _frequency_capped(bank_id, recipient, now):
        return _("Frequency cap: the recipient already has the most marketing messages allowed in the period.")
    return None


def _recipient_ref(recipient):
    if isinstance(recipient, recipients.Recipient):
        return recipient.kind, recipient.id, recipient
    if isinstance(recipient, tuple | list):
        return recipient[0], str(recipient[1]), None
    kind = recipients.kind_of(recipient)
    if kind is None:
        raise TypeError(f"No recipient resolver knows {type(recipient).__name__}")
    return kind, str(recipient.pk), None


def _template(template):
    if isinstance(template, MessageTemplate):
        return template
    bank_id, code = template
    return MessageTemplate.objects.get(bank_id=bank_id, code=code, is_active=True)


def send(template, recipient, context=None, purpose=None, dedupe_key="", *, now=None):
    """Queue one message from a template (see the module docstring). Returns the OutboundMessage."""
    template = _template(template)
    purpose = purpose or template.purpose
    if template.purpose == Purpose.MARKETING and purpose != Purpose.MARKETING:
        raise ValidationError({"purpose": _("A marketing template is sent for marketing only.")})
    kind, recipient_id, resolved = _recipient_ref(recipient)
    if resolved is None:
        resolved = recipients.resolve(kind, template.bank_id, [recipient_id]).get(recipient_id)
    category = template.category if purpose == Purpose.SERVICE else Category.STANDARD

    def texts(language):
        return render(template, language, context)

    return _queue(
        bank_id=template.bank_id,
        template=template,
        channel=template.channel,
        purpose=purpose,
        category=category,
        kind=kind,
        recipient_id=recipient_id,
        recipient=resolved,
        texts=texts,
        dedupe_key=dedupe_key,
        now=now,
    )


def send_text(bank_id, channel, recipient, subject, body, *, purpose=Purpose.SERVICE, dedupe_key="", now=None):
    """Queue a message without a template (staff notifications: the text is already written in
    the recipient's language). Same rules as send()."""
    kind, recipient_id, resolved = _recipient_ref(recipient)
    if resolved is None:
        resolved = recipients.resolve(kind, bank_id, [recipient_id]).get(recipient_id)
    return _queue(
        bank_id=bank_id,
        template=None,
        channel=channel,
        purpose=purpose,
        category=Category.STANDARD,
        kind=kind,
        recipient_id=recipient_id,
        recipient=resolved,
        texts=lambda language: (subject, body),
        dedupe_key=dedupe_key,
        now=now,
    )


def _queue(*, bank_id, template, channel, purpose, category, kind, recipient_id, recipient, texts, dedupe_key, now):
    now = now or timezone.now()
    dedupe_key = (dedupe_key or f"auto:{uuid.uuid4()}")[:200]
    with transaction.atomic():
        existing = OutboundMessage.objects.filter(bank_id=bank_id, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        languages = required_languages(bank_id) or ["zh-hans"]
        language = (recipient.language if recipient else "").lower() or languages[0]
        subject, body = texts(language)
        address = normalise_address(recipient.address_for(channel)) if recipient else ""
        gateway = gateway_for(bank_id, channel)
        analysis = encoding.analyse(body) if channel == Channel.SMS else None
        reason = None
        if recipient is None:
            reason = _("Unknown recipient.")
        elif not address:
            reason = (
                _("The recipient has no mobile number.") if channel == Channel.SMS else _("The recipient has no e-mail address.")
            )
        else:
            reason = suppression_reason(bank_id, recipient, address, purpose, channel, now)
        if reason is None and gateway is None:
            reason = _("No active gateway for this channel.")
        hold = None
        if reason is None and not (category == Category.TRANSACTIONAL and purpose == Purpose.SERVICE):
            hold = quiet_until(zone_of(recipient.time_zone, bank_id), quiet_window(bank_id), now)
        state = State.SUPPRESSED if reason else State.HELD if hold else State.QUEUED
        message = OutboundMessage(
            bank_id=bank_id,
            template=template,
            channel=channel,
            purpose=purpose,
            category=category,
            recipient_kind=kind,
            recipient_id=recipient_id,
            recipient_ref=(recipient.ref if recipient else "")[:100],
            branch_path=(recipient.branch_path if recipient else "")[:500],
            address=address,
            language=language,
            time_zone=(recipient.time_zone if recipient else "") or "",
            subject=subject[:300],
            body=body,
            encoding=analysis.encoding if analysis else "",
            segments=analysis.segments if analysis else 0,
            cost=analysis.cost(gateway.price_per_segment) if analysis and gateway else 0,
            state=state,
            reason=(reason or "")[:300],
            dedupe_key=dedupe_key,
            gateway=gateway,
            created_at=now,
            hold_until=hold,
            final_at=now if state == State.SUPPRESSED else None,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # the same key queued concurrently: that one stands
            return OutboundMessage.objects.get(bank_id=bank_id, dedupe_key=dedupe_key)
        MessageEvent.objects.create(message=message, state=state, at=now, detail=message.reason)
        if state == State.QUEUED:
            kick_after_commit()
    return message


BULK_CHUNK = 5000


def _bulk_reason(recipient, address, channel, purpose, denied, capped):
    if recipient is None:
        return _("Unknown recipient.")
    if not address:
        return _("The recipient has no mobile number.") if channel == Channel.SMS else _("The recipient has no e-mail address.")
    if address in denied:
        return _("The number is on the deny list (STOP or blocked).")
    reason = recipients.suppression_reason(recipient, purpose, channel)
    if reason is None and capped:
        reason = _("Frequency cap: the recipient already has the most marketing messages allowed in the period.")
    return reason


BULK_COLUMNS = (
    "bank_id", "template_id", "channel", "purpose", "category", "recipient_kind", "recipient_id", "recipient_ref",
    "branch_path", "address", "language", "time_zone", "subject", "body", "encoding", "segments", "cost", "state",
    "reason", "dedupe_key", "gateway_id", "created_at", "hold_until", "final_at",
)  # fmt: skip


def _copy_in(rows):
    """COPY the rows into a temporary table, then one INSERT … SELECT … ON CONFLICT DO NOTHING
    (a dedupe key already queued stays as it is). Returns how many were inserted."""
    table = OutboundMessage._meta.db_table
    columns = ", ".join(BULK_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS outbox_bulk ON COMMIT DELETE ROWS AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY outbox_bulk ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, idempotency_key, attempts, gateway_message_id) "
            f"SELECT {columns}, gen_random_uuid(), 0, '' FROM outbox_bulk ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute("TRUNCATE outbox_bulk")
    return inserted


def send_many(template, kind, recipient_ids, context=None, purpose=None, dedupe_prefix="", *, now=None, chunk=BULK_CHUNK):
    """Queue one message per recipient id of one kind (a campaign): the same rules as send()
    (deny list, registered rules, frequency cap, quiet hours), set-based in chunks of `chunk`
    (one resolve, one deny-list query, one cap query and one INSERT per chunk). `context` is a
    dict for all, or callable(Recipient) -> dict. The dedupe key of each is
    "<dedupe_prefix>:<recipient id>", so a rerun queues nothing twice. Returns how many rows
    were inserted (suppressed ones included)."""
    template = _template(template)
    purpose = purpose or template.purpose
    if template.purpose == Purpose.MARKETING and purpose != Purpose.MARKETING:
        raise ValidationError({"purpose": _("A marketing template is sent for marketing only.")})
    if not dedupe_prefix:
        raise ValidationError({"dedupe_prefix": _("A bulk send needs a deduplication prefix.")})
    bank_id, channel = template.bank_id, template.channel
    category = template.category if purpose == Purpose.SERVICE else Category.STANDARD
    bypass = category == Category.TRANSACTIONAL and purpose == Purpose.SERVICE
    gateway = gateway_for(bank_id, channel)
    window = quiet_window(bank_id)
    languages = required_languages(bank_id) or ["zh-hans"]
    cap = parameters.get("outbox.frequency_cap_messages", bank_id) if purpose == Purpose.MARKETING else 0
    cap_days = parameters.get("outbox.frequency_cap_days", bank_id)
    rendered, holds, analyses = {}, {}, {}
    inserted = 0
    ids = [str(i) for i in recipient_ids]
    for start in range(0, len(ids), chunk):
        now_chunk = now or timezone.now()
        part = ids[start : start + chunk]
        resolved = recipients.resolve(kind, bank_id, part)
        addresses = {rid: normalise_address(r.address_for(channel)) for rid, r in resolved.items()}
        denied = set(
            DeniedAddress.objects.filter(bank_id=bank_id, address__in=[a for a in addresses.values() if a]).values_list(
                "address", flat=True
            )
        )
        counts = {}
        if cap and cap > 0:
            counts = dict(
                OutboundMessage.objects.filter(
                    bank_id=bank_id,
                    recipient_kind=kind,
                    recipient_id__in=part,
                    purpose=Purpose.MARKETING,
                    created_at__gt=now_chunk - datetime.timedelta(days=cap_days),
                )
                .exclude(state__in=[State.SUPPRESSED, State.FAILED])
                .values_list("recipient_id")
                .annotate(n=Count("id"))
            )
        rows = []
        for rid in part:
            recipient = resolved.get(rid)
            language = ((recipient.language if recipient else "") or languages[0]).lower()
            values = context(recipient) if callable(context) else context
            if callable(context):
                subject, body = render(template, language, values)
            else:
                if language not in rendered:
                    rendered[language] = render(template, language, values)
                subject, body = rendered[language]
            address = addresses.get(rid, "")
            reason = _bulk_reason(recipient, address, channel, purpose, denied, cap and counts.get(rid, 0) >= cap)
            if reason is None and gateway is None:
                reason = _("No active gateway for this channel.")
            hold = None
            if reason is None and not bypass:
                zone_name = recipient.time_zone or ""
                if zone_name not in holds:
                    holds[zone_name] = quiet_until(zone_of(zone_name, bank_id), window, now_chunk)
                hold = holds[zone_name]
            analysis = analyses.get(body)
            if analysis is None and channel == Channel.SMS:
                analysis = analyses[body] = encoding.analyse(body)
            state = State.SUPPRESSED if reason else State.HELD if hold else State.QUEUED
            rows.append(
                (
                    bank_id,
                    template.pk,
                    channel,
                    purpose,
                    category,
                    kind,
                    rid,
                    (recipient.ref if recipient else "")[:100],
                    (recipient.branch_path if recipient else "")[:500],
                    address,
                    language,
                    (recipient.time_zone if recipient else "") or "",
                    subject[:300],
                    body,
                    analysis.encoding if analysis else "",
                    analysis.segments if analysis else 0,
                    analysis.cost(gateway.price_per_segment) if analysis and gateway else 0,
                    state,
                    (reason or "")[:300],
                    f"{dedupe_prefix}:{rid}"[:200],
                    gateway.pk if gateway else None,
                    now_chunk,
                    hold,
                    now_chunk if reason else None,
                )
            )
        with transaction.atomic():
            inserted += _copy_in(rows)
            kick_after_commit()
        holds.clear()  # the next chunk is queued a little later: quiet hours computed again
    return inserted


# --- state changes ----------------------------------------------------------------------


def advance(message_ids, state, *, now=None, reason="", **fields):
    """Move messages to `state` where that is forward (a late "sent" never overwrites
    "delivered" or "failed"); returns how many moved. One conditional UPDATE: concurrent
    reports and the dispatcher cannot move a message back."""
    now = now or timezone.now()
    values = {"state": state, **fields}
    if reason:
        values["reason"] = reason[:300]
    if state in (State.DELIVERED, State.FAILED, State.EXPIRED, State.SUPPRESSED):
        values["final_at"] = now
    with transaction.atomic():
        ids = list(
            OutboundMessage.objects.filter(pk__in=list(message_ids), state__in=earlier_states(state))
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        moved = OutboundMessage.objects.filter(pk__in=ids).update(**values)
        MessageEvent.objects.bulk_create([MessageEvent(message_id=pk, state=state, at=now, detail=reason[:300]) for pk in ids])
    return moved


# --- dispatch ------------------------------------------------------------------------------


def _claimable(now):
    return Q(state=State.QUEUED) | Q(state=State.HELD, hold_until__lte=now) | Q(state=State.SENDING, next_attempt_at__lte=now)


def dispatch_batch(gateway, limit=None, now=None, pace=None):
    """Send up to `limit` claimable messages of one gateway in one transaction, rows locked
    (FOR UPDATE SKIP LOCKED: other workers take other rows; a killed worker's rows return to
    the queue with its transaction, and the idempotency key makes the gateway answer the retry
    as a duplicate). Returns {state: count} of what happened."""
    now_fixed = now
    limit = max(1, min(limit or gateway.rate_per_second or 1, MAX_BATCH))
    counts = {}
    adapter = gateways.adapter_for(gateway)
    settings_cache = {}
    try:
        with transaction.atomic():
            now = now_fixed or timezone.now()
            rows = list(
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(gateway=gateway)
                .filter(_claimable(now))
                .order_by("id")[:limit]
            )
            if not rows:
                return counts
            changed, history, to_send = [], [], []
            for message in rows:
                bank_settings = settings_cache.get(message.bank_id)
                if bank_settings is None:
                    bank_settings = settings_cache[message.bank_id] = {
                        "window": quiet_window(message.bank_id),
                        "retry": parameters.get("outbox.retry_seconds", message.bank_id),
                        "max_attempts": parameters.get("outbox.max_attempts", message.bank_id),
                    }
                moment = now_fixed or timezone.now()
                if not (message.category == Category.TRANSACTIONAL and message.purpose == Purpose.SERVICE):
                    hold = quiet_until(zone_of(message.time_zone, message.bank_id), bank_settings["window"], moment)
                    if hold is not None:
                        message.state, message.hold_until = State.HELD, hold
                        changed.append(message)
                        history.append(MessageEvent(message=message, state=State.HELD, at=moment, detail="quiet hours"))
                        counts["held"] = counts.get("held", 0) + 1
                        continue
                to_send.append((message, bank_settings, moment))
            rate = pace if pace is not None else gateway.rate_per_second
            started = time.monotonic()
            sent_here = 0
            results = []
            for start in range(0, len(to_send), adapter.group_size):
                group = to_send[start : start + adapter.group_size]
                if rate:  # the gateway's rate limit, paced across the batch
                    wait = started + sent_here / rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                results.extend(zip(group, adapter.send_group([m for m, _s, _t in group]), strict=True))
                sent_here += len(group)
            for (message, bank_settings, moment), result in results:
                message.attempts += 1
                if result.status in (gateways.ACCEPTED, gateways.DUPLICATE):
                    message.state, message.sent_at = State.SENT, moment
                    message.gateway_message_id = result.gateway_message_id[:100]
                    message.next_attempt_at = None
                    detail = "duplicate answered by the gateway" if result.status == gateways.DUPLICATE else ""
                elif result.status == gateways.REJECTED or message.attempts >= bank_settings["max_attempts"]:
                    message.state, message.final_at = State.FAILED, moment
                    message.reason = (result.detail or _("The gateway did not accept the message."))[:300]
                    detail = message.reason
                else:
                    message.state = State.SENDING
                    message.next_attempt_at = moment + datetime.timedelta(seconds=bank_settings["retry"])
                    message.reason = result.detail[:300]
                    detail = result.detail
                changed.append(message)
                history.append(MessageEvent(message=message, state=message.state, at=moment, detail=detail[:300]))
                counts[message.state] = counts.get(message.state, 0) + 1
            _write_outcomes(changed)
            MessageEvent.objects.bulk_create(history)
    finally:
        adapter.close()
    return counts


def _write_outcomes(messages):
    """One UPDATE … FROM unnest(arrays) for the batch's outcomes (Django's bulk_update would
    write a CASE per field and row)."""
    if not messages:
        return
    columns = ("state", "hold_until", "sent_at", "gateway_message_id", "next_attempt_at", "attempts", "reason", "final_at")
    types = ("text", "timestamptz", "timestamptz", "text", "timestamptz", "int", "text", "timestamptz")
    table = OutboundMessage._meta.db_table
    arrays = [[m.pk for m in messages]] + [[getattr(m, column) for m in messages] for column in columns]
    unnest = ", ".join(["%s::bigint[]"] + [f"%s::{t}[]" for t in types])
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET {assignments} FROM unnest({unnest}) AS v(id, {', '.join(columns)}) WHERE m.id = v.id",
            arrays,
        )


def pending_gateways(now=None):
    now = now or timezone.now()
    ids = OutboundMessage.objects.filter(_claimable(now)).values_list("gateway_id", flat=True).distinct()
    return list(Gateway.objects.filter(pk__in=ids, is_active=True))


def dispatch_pending(gateway_id=None, *, time_budget=50.0, now=None):
    """Dispatch batch after batch until nothing is claimable or the time budget is spent.
    Returns (counts, more): `more` says work was left (the task queues itself again)."""
    deadline = time.monotonic() + time_budget
    totals = {}
    for gateway in pending_gateways(now):
        if gateway_id and gateway.pk != int(gateway_id):
            continue
        while True:
            counts = dispatch_batch(gateway, now=now)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if not counts or set(counts) <= {"held", State.SENDING}:
                break
            if time.monotonic() > deadline:
                return totals, True
    return totals, False


def expire_stale(now=None):
    """Messages sent (or stuck sending) longer than outbox.expire_after_hours ago without a final
    report become expired. Returns how many."""
    now = now or timezone.now()
    expired = 0
    bank_ids = OutboundMessage.objects.filter(state__in=[State.SENT, State.SENDING]).values_list("bank_id", flat=True).distinct()
    for bank_id in bank_ids:
        hours = parameters.get("outbox.expire_after_hours", bank_id)
        cutoff = now - datetime.timedelta(hours=hours)
        ids = list(
            OutboundMessage.objects.filter(bank_id=bank_id)
            .filter(Q(state=State.SENT, sent_at__lt=cutoff) | Q(state=State.SENDING, created_at__lt=cutoff))
            .values_list("pk", flat=True)
        )
        if ids:
            expired += advance(ids, State.EXPIRED, now=now, reason=_("No final delivery report in time."))
    return expired


# --- gateway callbacks ------------------------------------------------------------------


class CallbackRefused(Exception):
    pass


def _accept_callback(gateway, headers, raw_body, now=None):
    refused = signing.check(
        gateway.secret, headers.get(signing.TIMESTAMP_HEADER), headers.get(signing.SIGNATURE_HEADER), raw_body, now=now
    )
    if refused:
        raise CallbackRefused(refused)
    try:
        with transaction.atomic():
            CallbackReceipt.objects.create(gateway=gateway, signature=headers.get(signing.SIGNATURE_HEADER))
    except IntegrityError:
        raise CallbackRefused("replayed callback") from None


REPORT_STATES = {"sent": State.SENT, "delivered": State.DELIVERED, "failed": State.FAILED, "expired": State.EXPIRED}


def _json(raw_body):
    try:
        data = json.loads(raw_body or b"{}")
    except ValueError:
        raise CallbackRefused("body is not JSON") from None
    if not isinstance(data, dict):
        raise CallbackRefused("body is not a JSON object")
    return data


def delivery_report(gateway, headers, raw_body, now=None):
    """A signed delivery report: {"id", "idempotency_key", "status", "error"?}. Applied forward
    only. Returns the number of messages moved (0 for a late or unknown report)."""
    _accept_callback(gateway, headers, raw_body, now=now)
    data = _json(raw_body)
    state = REPORT_STATES.get(str(data.get("status", "")).lower())
    if state is None:
        raise CallbackRefused("unknown status")
    messages = OutboundMessage.objects.filter(gateway=gateway)
    key = str(data.get("idempotency_key") or "")
    try:
        messages = (
            messages.filter(idempotency_key=uuid.UUID(key))
            if key
            else messages.filter(gateway_message_id=str(data.get("id", "")))
        )
    except ValueError:
        raise CallbackRefused("bad idempotency key") from None
    ids = list(messages.values_list("pk", flat=True)[:1])
    if not ids:
        return 0
    reason = str(data.get("error") or "")[:300] if state == State.FAILED else ""
    extra = {"gateway_message_id": str(data["id"])[:100]} if data.get("id") and state == State.SENT else {}
    return advance(ids, state, reason=reason, **extra)


def inbound_message(gateway, headers, raw_body, now=None):
    """A signed inbound SMS {"from", "text"}: STOP (or 退订/TD) puts the number on the bank's deny
    list at once and suppresses what still waits for it. Returns True when it was a STOP."""
    _accept_callback(gateway, headers, raw_body, now=now)
    data = _json(raw_body)
    words = str(data.get("text", "")).strip().upper().split()
    if not words or words[0] not in STOP_WORDS:
        return False
    address = normalise_address(str(data.get("from", "")))
    if not address:
        raise CallbackRefused("no sender number")
    deny(
        gateway.bank_id, address, DeniedAddress.Source.STOP, note=_("STOP reply through %(gateway)s") % {"gateway": gateway.name}
    )
    return True


@transaction.atomic
def deny(bank_id, address, source=DeniedAddress.Source.MANUAL, note=""):
    address = normalise_address(address)
    denied, created = DeniedAddress.objects.get_or_create(
        bank_id=bank_id, address=address, defaults={"source": source, "note": note[:300]}
    )
    if created:
        events.address_denied(denied, source)
    waiting = list(
        OutboundMessage.objects.filter(bank_id=bank_id, address=address, state__in=[State.QUEUED, State.HELD]).values_list(
            "pk", flat=True
        )
    )
    if waiting:
        advance(waiting, State.SUPPRESSED, reason=_("The number is on the deny list (STOP or blocked)."))
    return denied


# --- administrators' actions ------------------------------------------------------------------


def resend(message, actor):
    """Queue a failed or expired message again, as a new message (the old one keeps its final
    state: states never go back); the rules apply again (deny list, consent, quiet hours). Audited."""
    if message.state not in (State.FAILED, State.EXPIRED):
        raise ValidationError(_("Only a failed or expired message can be sent again."))
    count = message.resends.count() + 1
    kind, recipient_id = message.recipient_kind, message.recipient_id
    resolved = recipients.resolve(kind, message.bank_id, [recipient_id]).get(recipient_id)
    with transaction.atomic():
        new = _queue(
            bank_id=message.bank_id,
            template=message.template,
            channel=message.channel,
            purpose=message.purpose,
            category=message.category,
            kind=kind,
            recipient_id=recipient_id,
            recipient=resolved,
            texts=lambda language: (message.subject, message.body),
            dedupe_key=f"{message.dedupe_key[:150]}:resend:{count}",
            now=None,
        )
        OutboundMessage.objects.filter(pk=new.pk).update(resent_from=message)
        new.resent_from = message
        events.message_resent(message, new, actor)
    return new


def statistics(queryset, zone, days=30, now=None):
    """Counts per local day and state, and per gateway and state, of the messages of the last
    `days` days; and the cost of what was sent."""
    now = now or timezone.now()
    recent = queryset.filter(created_at__gte=now - datetime.timedelta(days=days))
    per_day = list(
        recent.annotate(day=TruncDate("created_at", tzinfo=zone)).values("day", "state").annotate(n=Count("id")).order_by("day")
    )
    per_gateway = list(
        recent.values("gateway__name", "state").annotate(n=Count("id"), cost=Sum("cost")).order_by("gateway__name", "state")
    )
    return {"per_day": per_day, "per_gateway": per_gateway}
