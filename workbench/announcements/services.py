"""Announcements: the business actions (write, publish, withdraw, open, acknowledge, attach,
remind) and the set-based audience queries.

Who publishes what (the rule, docs/announcements.md):
* a publisher (workbench.publish_announcement) with the bank's scope (head office) addresses
  the whole bank or any branch subtrees; a publisher with a subtree scope (a supervisor)
  addresses branches of their own subtree only;
* an announcement to branch subtrees is published at once by its publisher;
* a bank-wide announcement waits for a second person: publishing submits a ChangeRequest
  ("announcement.publish", checker permission workbench.approve_announcement) that a colleague
  decides in the approvals inbox; until then nobody in the audience sees it.

Rich text is sanitised with nh3 when saved (never trusted on the way out either: the stored
HTML is what nh3 returned). Attachments are recognised by their first bytes, never by their
name, and capped by the bank's parameter announcements.attachment_max_bytes; every download is
audited."""

import datetime
import html
import os
import re
import zipfile
from collections import defaultdict

import nh3
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm import links, parameters
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from ocrm.notifications.services import notify
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch, Staff
from workbench.announcements import events
from workbench.announcements import parameters as announcement_parameters
from workbench.announcements.models import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementBranch,
    AnnouncementReceipt,
    AnnouncementRole,
)
from workbench.desk import TodayItem

ACTION_PUBLISH = "announcement.publish"
PUBLISH_PERM = "workbench.publish_announcement"
CHECKER_PERM = "workbench.approve_announcement"
SUPERVISOR_ROLE = "branch_supervisor"

MAX_ATTACHMENT_BYTES_PARAM = announcement_parameters.MAX_ATTACHMENT_BYTES
ESCALATE_AFTER_DAYS_PARAM = announcement_parameters.ESCALATE_AFTER_DAYS
PARAMETERS = announcement_parameters.PARAMETERS

# --- rich text ---------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "span", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
BODY_MAX_CHARS = 100_000
UNREAD_CACHE_SECONDS = 60


def sanitise(body):
    """(safe HTML, plain text): scripts, event handlers, styles and unknown tags removed; links
    only http(s) and mailto, opened without passing on the referrer."""
    clean = nh3.clean(
        body or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    text = html.unescape(re.sub(r"<[^>]+>", " ", clean))
    return clean, re.sub(r"\s+", " ", text).strip()


# --- attachments ---------------------------------------------------------------------------------------

# Recognised by their first bytes (never by the name or the browser's content type).
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
OFFICE_TYPES = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
)


def _not_accepted(uploaded):
    return ValidationError(
        {
            "file": _(
                "%(name)s is not a PDF, PNG, JPEG, GIF, Word, Excel or PowerPoint file (judged by its content, not its name)."
            )
            % {"name": os.path.basename(uploaded.name or "")[:100]}
        }
    )


def sniff_attachment(uploaded):
    """(content type, extension) decided by the file's content; ValidationError otherwise."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _not_accepted(uploaded) from None
        finally:
            uploaded.seek(0)
        if "[Content_Types].xml" in names:
            for prefix, content_type, extension in OFFICE_TYPES:
                if any(name.startswith(prefix) for name in names):
                    return content_type, extension
    raise _not_accepted(uploaded)


# --- who may do what ------------------------------------------------------------------------------------


def may_publish(user):
    return user.has_perm(PUBLISH_PERM) and scope_of(user) in ("all", "bank", "subtree")


def may_address_bank(user):
    return scope_of(user) in ("all", "bank")


def _check_audience(actor, bank_id, bank_wide, branches):
    if bank_wide:
        if not may_address_bank(actor):
            raise ValidationError({"bank_wide": _("Only head office may address the whole bank.")})
        return
    if not branches:
        raise ValidationError({"branches": _("Choose the whole bank or at least one branch.")})
    for branch in branches:
        if branch.bank_id != bank_id:
            raise ValidationError({"branches": _("Choose branches of your own bank.")})
        if scope_of(actor) == "subtree" and not branch.path.startswith(actor.branch.path):
            raise ValidationError(
                {"branches": _("%(branch)s is outside your branch and the branches below it.") % {"branch": branch.name_local}}
            )


def _locked(announcement_id, actor):
    announcement = Announcement.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=announcement_id).first()
    if announcement is None:
        raise NotVisible
    return announcement


# --- writing ---------------------------------------------------------------------------------------------


@transaction.atomic
def save_announcement(actor, data, announcement=None):
    """Create a draft (announcement None) or change one. `data`: kind, title, body, bank_wide,
    branches (Branch list), roles (Group list), valid_from, valid_until, pinned, requires_ack."""
    if not may_publish(actor):
        raise PermissionDenied(_("You may not publish announcements."))
    if announcement is not None:
        announcement = _locked(announcement.pk, actor)
        if not announcement.is_editable:
            raise ValidationError(_("Only a draft can be changed; withdraw the announcement first."))
    bank_id = announcement.bank_id if announcement is not None else actor.bank_id
    if bank_id is None:
        raise PermissionDenied(_("You may not publish announcements."))
    title = (data.get("title") or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the announcement a title.")
    if len(data.get("body") or "") > BODY_MAX_CHARS:
        errors["body"] = _("The text may hold at most %(n)d characters.") % {"n": BODY_MAX_CHARS}
    if data.get("kind") not in Announcement.Kind.values:
        errors["kind"] = _("Choose the kind of announcement.")
    valid_from = data.get("valid_from") or timezone.now()
    valid_until = data.get("valid_until")
    if valid_until is not None and valid_until <= valid_from:
        errors["valid_until"] = _("The end of the validity must lie after its start.")
    if errors:
        raise ValidationError(errors)
    bank_wide = bool(data.get("bank_wide"))
    branches = [] if bank_wide else list(data.get("branches") or [])
    _check_audience(actor, bank_id, bank_wide, branches)
    body, body_text = sanitise(data.get("body"))
    before = events.announcement_values(announcement) if announcement is not None else None
    if announcement is None:
        announcement = Announcement(bank_id=bank_id, branch_id=actor.branch_id, created_by=actor)
    announcement.kind = data["kind"]
    announcement.title = title[:200]
    announcement.body, announcement.body_text = body, body_text
    announcement.bank_wide = bank_wide
    announcement.valid_from, announcement.valid_until = valid_from, valid_until
    announcement.pinned = bool(data.get("pinned"))
    announcement.requires_ack = bool(data.get("requires_ack"))
    announcement.save()
    AnnouncementBranch.objects.filter(announcement=announcement).delete()
    AnnouncementBranch.objects.bulk_create([AnnouncementBranch(announcement=announcement, branch=b) for b in branches])
    AnnouncementRole.objects.filter(announcement=announcement).delete()
    AnnouncementRole.objects.bulk_create([AnnouncementRole(announcement=announcement, group=g) for g in data.get("roles") or []])
    if before is None:
        events.announcement_created(announcement, actor)
    else:
        events.announcement_changed(announcement, actor, before)
    return announcement


def _publish_now(announcement, actor, before, change_request=None):
    announcement.status = Announcement.Status.PUBLISHED
    announcement.published_at = timezone.now()
    announcement.published_by = actor
    announcement.save(update_fields=["status", "published_at", "published_by", "change_request", "updated_at"])
    events.announcement_published(announcement, actor, before, change_request)


@transaction.atomic
def publish(announcement_id, actor, reason=""):
    """Publish a draft: at once for branch subtrees; a bank-wide one waits for a checker."""
    if not may_publish(actor):
        raise PermissionDenied(_("You may not publish announcements."))
    announcement = _locked(announcement_id, actor)
    if announcement.status != Announcement.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    targets = Branch.objects.filter(pk__in=AnnouncementBranch.objects.filter(announcement=announcement).values("branch_id"))
    _check_audience(actor, announcement.bank_id, announcement.bank_wide, list(targets))
    if announcement.valid_until is not None and announcement.valid_until <= timezone.now():
        raise ValidationError({"valid_until": _("The validity has already ended; change it first.")})
    before = events.announcement_values(announcement)
    if not announcement.bank_wide:
        _publish_now(announcement, actor, before)
        return announcement
    announcement.change_request = approvals.submit(
        action=ACTION_PUBLISH,
        obj=announcement,
        maker=actor,
        bank_id=announcement.bank_id,
        branch_path="",
        reason=reason,
        payload={"announcement": announcement.pk},
        changes={"title": [None, announcement.title], "status": [announcement.status, Announcement.Status.PUBLISHED]},
    )
    announcement.status = Announcement.Status.PENDING
    announcement.save(update_fields=["status", "change_request", "updated_at"])
    events.announcement_submitted(announcement, actor, before, announcement.change_request)
    return announcement


def _pending_of(change_request):
    announcement = (
        Announcement.objects.select_for_update()
        .filter(pk=change_request.payload.get("announcement"), bank_id=change_request.bank_id)
        .first()
    )
    if announcement is None or announcement.status != Announcement.Status.PENDING:
        raise ValidationError(
            _("The announcement of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk}
        )
    return announcement


def apply_publish_request(change_request, checker):
    """The approvals handler (inside approvals.approve's transaction)."""
    announcement = _pending_of(change_request)
    _publish_now(announcement, checker, events.announcement_values(announcement), change_request)
    author = announcement.created_by
    transaction.on_commit(
        lambda: notify(
            [author],
            gettext_lazy("Your announcement was approved and published"),
            announcement.title,
            link=links.url("announcement_manage", announcement.pk),
        )
    )


def _back_to_draft(announcement, actor, reason):
    before = events.announcement_values(announcement)
    announcement.status = Announcement.Status.DRAFT
    announcement.save(update_fields=["status", "updated_at"])
    events.announcement_returned(announcement, actor, before, reason)


def reject_publish_request(change_request, checker):
    announcement = _pending_of(change_request)
    _back_to_draft(announcement, checker, "rejected")
    author = announcement.created_by
    transaction.on_commit(
        lambda: notify(
            [author],
            gettext_lazy("Your announcement was not approved"),
            announcement.title,
            link=links.url("announcement_manage", announcement.pk),
        )
    )


def withdraw_publish_request(change_request, maker):
    """The maker takes back the request ("My requests"): the announcement is a draft again."""
    with transaction.atomic():
        announcement = _pending_of(change_request)
        _back_to_draft(announcement, maker, "withdrawn")
        return approvals.cancel(change_request.pk, maker, _("Withdrawn by the requester."))


def register_handlers():
    """Called from WorkbenchConfig.ready()."""
    approvals.register(
        ACTION_PUBLISH,
        apply=apply_publish_request,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Publish a bank-wide announcement"),
        on_reject=reject_publish_request,
        field_labels={"title": gettext_lazy("title"), "status": gettext_lazy("status")},
        withdraw=withdraw_publish_request,
    )


@transaction.atomic
def withdraw(announcement_id, actor):
    """Take an announcement back: a published one leaves every list (withdrawn, kept for the
    record); one waiting for approval becomes a draft again (its request cancelled)."""
    if not may_publish(actor):
        raise PermissionDenied(_("You may not publish announcements."))
    announcement = _locked(announcement_id, actor)
    if announcement.status == Announcement.Status.PENDING:
        _back_to_draft(announcement, actor, "withdrawn")
        if announcement.change_request_id:
            approvals.cancel(announcement.change_request_id, actor, _("Withdrawn by the requester."))
        return announcement
    if announcement.status != Announcement.Status.PUBLISHED:
        raise ValidationError(_("Only a published announcement or one waiting for approval can be withdrawn."))
    before = events.announcement_values(announcement)
    announcement.status = Announcement.Status.WITHDRAWN
    announcement.withdrawn_at = timezone.now()
    announcement.save(update_fields=["status", "withdrawn_at", "updated_at"])
    events.announcement_withdrawn(announcement, actor, before)
    return announcement


def add_attachment(announcement, uploaded, actor):
    """Attach a file to a draft: type by content, size capped by the bank's parameter."""
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file.")})
    limit = parameters.get(MAX_ATTACHMENT_BYTES_PARAM, announcement.bank_id)
    if uploaded.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)d bytes; at most %(limit)d bytes are accepted.")
                % {"size": uploaded.size, "limit": limit}
            }
        )
    if uploaded.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type, extension = sniff_attachment(uploaded)
    original_name = os.path.basename((uploaded.name or "").replace("\\", "/"))[:200] or f"attachment.{extension}"
    stored = None
    try:
        with transaction.atomic():
            announcement = _locked(announcement.pk, actor)
            if not announcement.is_editable:
                raise ValidationError(_("Only a draft can be changed; withdraw the announcement first."))
            attachment = AnnouncementAttachment(
                bank_id=announcement.bank_id,
                announcement=announcement,
                original_name=original_name,
                content_type=content_type,
                size=uploaded.size,
                uploaded_by=actor,
            )
            attachment.file.save(f"attachment.{extension}", uploaded, save=False)
            stored = attachment.file.name
            attachment.save()
            events.attachment_added(attachment, actor)
    except BaseException:
        if stored:
            attachment.file.storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def remove_attachment(attachment_id, actor):
    attachment = AnnouncementAttachment.objects.visible_to(actor).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotVisible
    announcement = _locked(attachment.announcement_id, actor)
    if not announcement.is_editable:
        raise ValidationError(_("Only a draft can be changed; withdraw the announcement first."))
    events.attachment_removed(attachment, actor)
    name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
    return announcement


def open_attachment(attachment_id, actor):
    """(attachment, open file) for a reader of its announcement or its publisher; audited."""
    readable = Announcement.objects.for_reader(actor).values("pk")
    managed = Announcement.objects.visible_to(actor).values("pk")
    attachment = (
        AnnouncementAttachment.objects.filter(pk=attachment_id)
        .filter(Q(announcement__in=readable) | Q(announcement__in=managed))
        .first()
    )
    if attachment is None:
        raise NotVisible
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotVisible from None
    events.attachment_downloaded(attachment, actor)
    return attachment, handle


# --- reading ---------------------------------------------------------------------------------------------


def readable(user, announcement_id):
    """The announcement if it is addressed to the person (current or in the history), else NotVisible."""
    announcement = Announcement.objects.for_reader(user).with_receipt_of(user).filter(pk=announcement_id).first()
    if announcement is None:
        raise NotVisible
    return announcement


def previewable(user, announcement_id):
    """The announcement as its publisher (or whoever manages it) sees it, else NotVisible."""
    announcement = Announcement.objects.visible_to(user).with_receipt_of(user).filter(pk=announcement_id).first()
    if announcement is None:
        raise NotVisible
    return announcement


def mark_opened(announcement, user):
    """Record the first time the person opened it (later openings change nothing)."""
    AnnouncementReceipt.objects.bulk_create(
        [AnnouncementReceipt(bank_id=announcement.bank_id, announcement=announcement, staff=user)], ignore_conflicts=True
    )
    key = _unread_key(user.pk)
    transaction.on_commit(lambda: cache.delete(key))


@transaction.atomic
def acknowledge(announcement_id, user):
    """The person's explicit "read and understood", kept with its time (the first one counts)."""
    announcement = readable(user, announcement_id)
    if not announcement.requires_ack:
        raise ValidationError(_("This announcement does not ask for an acknowledgement."))
    mark_opened(announcement, user)
    now = timezone.now()
    changed = AnnouncementReceipt.objects.filter(announcement=announcement, staff=user, acknowledged_at__isnull=True).update(
        acknowledged_at=now
    )
    if changed:
        events.announcement_acknowledged(announcement, user)
    return AnnouncementReceipt.objects.get(announcement=announcement, staff=user)


def current_for(user):
    """The person's current announcements, pinned first (one query)."""
    return Announcement.objects.for_reader(user).current().with_receipt_of(user).order_by("-pinned", "-valid_from", "-id")


def _unread_key(user_id):
    return f"announcements:unread:{user_id}"


def unread_count(user):
    """Current announcements addressed to the person that they have not opened (the navigation's
    badge). Cached for UNREAD_CACHE_SECONDS so that pages do not pay a query each: opening one
    clears the person's count; a newly published announcement shows within that time."""
    if user is None or not user.is_authenticated or user.bank_id is None:
        return None
    count = cache.get(_unread_key(user.pk))
    if count is None:
        count = Announcement.objects.for_reader(user).current().unopened_by(user).count()
        cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)
    return count or None


def awaiting_acknowledgement(user, limit=20):
    return list(
        Announcement.objects.for_reader(user).current().unacknowledged_by(user).order_by("-pinned", "-valid_from")[:limit]
    )


# --- the audience (set-based) ---------------------------------------------------------------------------------


def audience_of(announcement):
    """The staff the announcement is addressed to, as ONE query: active staff of its bank, in
    one of its branch subtrees (or anywhere for the whole bank), holding one of its roles (or
    any). Nothing is copied: who joins or moves is in or out at the next query."""
    staff = Staff.objects.filter(bank_id=announcement.bank_id, is_active=True).exclude(status=Staff.Status.LEFT)
    if not announcement.bank_wide:
        # The person's branch path starts with a target branch's path: in that target's subtree.
        inside = (
            AnnouncementBranch.objects.filter(announcement_id=announcement.pk)
            .annotate(staff_path=ExpressionWrapper(OuterRef("branch__path"), output_field=CharField()))
            .filter(staff_path__startswith=F("branch__path"))
        )
        staff = staff.filter(branch__isnull=False).filter(Exists(inside))
    roles = AnnouncementRole.objects.filter(announcement_id=announcement.pk)
    held = Staff.groups.through.objects.filter(staff_id=OuterRef("pk"), group_id__in=roles.values("group_id"))
    return staff.filter(~Exists(roles) | Exists(held))


def reach(announcement):
    """Per branch of the audience: how many people, how many opened, how many acknowledged. One
    statement: the audience query joined to the receipts and grouped by branch."""
    audience_sql, params = audience_of(announcement).values("pk", "branch_id").query.sql_with_params()
    receipt, branch = AnnouncementReceipt._meta.db_table, Branch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT b.id, b.code, b.name_local, b.path, count(*), count(r.opened_at), count(r.acknowledged_at)
            FROM ({audience_sql}) AS audience (id, branch_id)
            LEFT JOIN {branch} b ON b.id = audience.branch_id
            LEFT JOIN {receipt} r ON r.staff_id = audience.id AND r.announcement_id = %s
            GROUP BY b.id, b.code, b.name_local, b.path
            ORDER BY b.path""",
            [*params, announcement.pk],
        )
        rows = cursor.fetchall()
    keys = ("branch_id", "branch__code", "branch__name_local", "branch__path", "total", "opened_count", "acked_count")
    return [
        {**row, "not_opened": row["total"] - row["opened_count"], "not_acked": row["total"] - row["acked_count"]}
        for row in (dict(zip(keys, values, strict=True)) for values in rows)
    ]


def reach_people(announcement, missing="ack", branch_id=None):
    """The people of the audience who have not opened (missing="open") or not acknowledged
    (missing="ack"), with their receipt's times, ordered by branch and name."""
    receipts = AnnouncementReceipt.objects.filter(announcement=announcement, staff=OuterRef("pk"))
    people = audience_of(announcement).annotate(
        opened_at=Subquery(receipts.values("opened_at")[:1]),
        acknowledged_at=Subquery(receipts.values("acknowledged_at")[:1]),
    )
    if missing == "open":
        people = people.filter(opened_at__isnull=True)
    elif missing == "ack":
        people = people.filter(acknowledged_at__isnull=True)
    if branch_id:
        people = people.filter(branch_id=branch_id)
    return people.select_related("branch").order_by("branch__path", "username")


# --- reminders and escalation (the daily job, per bank) ---------------------------------------------------------


def _supervisors_by_branch(bank_id):
    rows = (
        Staff.objects.filter(bank_id=bank_id, is_active=True, groups__name=SUPERVISOR_ROLE)
        .exclude(status=Staff.Status.LEFT)
        .only("pk", "language", "bank_id", "branch_id")
    )
    found = defaultdict(list)
    for supervisor in rows:
        found[supervisor.branch_id].append(supervisor)
    return found


def supervisors_of(branch_paths, bank_id):
    """{branch path: [supervisors]}: the branch supervisors of the nearest branch, from the
    branch itself upwards, that has any."""
    by_branch = _supervisors_by_branch(bank_id)
    found = {}
    for path in branch_paths:
        ids = [int(part) for part in (path or "").strip("/").split("/") if part]
        found[path] = next((by_branch[i] for i in reversed(ids) if by_branch.get(i)), [])
    return found


def _escalation_text(announcement, members):
    names = ", ".join(m.display_name for m in members[:20]) + (" …" if len(members) > 20 else "")

    def text(recipient):
        return _("%(n)d of your staff have not acknowledged “%(title)s”: %(names)s") % {
            "n": len(members),
            "title": announcement.title,
            "names": names,
        }

    return text


def send_reminders(bank_id, business_date, now=None):
    """Remind every person who has not acknowledged a current announcement of the bank that asks
    for it (one notification per person, announcement and business date: a rerun sends nothing
    new); after announcements.escalate_after_days days, tell their supervisor (once per
    announcement and supervisor). Returns the counts."""
    now = now or timezone.now()
    escalate_days = parameters.get(ESCALATE_AFTER_DAYS_PARAM, bank_id)
    counts = {"announcements": 0, "reminded": 0, "escalated": 0}
    announcements = Announcement.objects.published().current().filter(bank_id=bank_id, requires_ack=True).order_by("pk")
    for announcement in announcements:
        counts["announcements"] += 1
        link = links.url("announcement_detail", announcement.pk)
        people = list(
            reach_people(announcement, "ack").only(
                "pk", "language", "bank_id", "branch_id", "name_local", "first_name", "last_name", "username", "branch__path"
            )
        )
        if not people:
            continue
        counts["reminded"] += notify(
            people,
            gettext_lazy("Please acknowledge an announcement"),
            announcement.title,
            link=link,
            dedupe_key=f"announcement:{announcement.pk}:remind:{business_date.isoformat()}",
        )
        published = announcement.published_at or announcement.valid_from
        if now - published < datetime.timedelta(days=escalate_days):
            continue
        by_path = defaultdict(list)
        for person in people:
            by_path[person.branch.path if person.branch_id else ""].append(person)
        supervisors = supervisors_of(by_path.keys(), bank_id)
        told = {}  # supervisor pk -> [supervisor, [people]]
        for path, members in by_path.items():
            for supervisor in supervisors.get(path, []):
                others = [m for m in members if m.pk != supervisor.pk]
                if others:
                    told.setdefault(supervisor.pk, [supervisor, []])[1].extend(others)
        for supervisor, members in told.values():
            counts["escalated"] += notify(
                [supervisor],
                gettext_lazy("Your staff have not acknowledged an announcement"),
                _escalation_text(announcement, members),
                link=links.url("announcement_reach", announcement.pk),
                dedupe_key=f"announcement:{announcement.pk}:escalate",
            )
    return counts


# --- the desk ------------------------------------------------------------------------------------------------------


def today_items(user, now):
    """The desk's today source: current announcements waiting for this person's acknowledgement (one query)."""
    return [
        TodayItem(kind="announcements", title=a.title, url=links.url("announcement_detail", a.pk), when=a.valid_until)
        for a in awaiting_acknowledgement(user)
    ]
