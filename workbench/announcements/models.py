"""Announcements (资讯公告 / 服务通告 / 业务通知): what the bank posts to its staff.

An announcement is addressed to an audience: the whole bank, or the staff of branch subtrees;
optionally narrowed to roles (Django groups). Two ways of looking at the same rows:

* `visible_to(user)`: the publisher's view (the ScopedQuerySet rule on the publishing branch):
  head office sees the bank's announcements, a supervisor those published from their subtree,
  anyone their own.
* `for_reader(user)`: the reader's view: published announcements whose audience includes the
  person (one indexed query: the person's branch ancestors are read from the branch's path).
  `current()` narrows it to the validity window, by the database clock: an expired
  announcement leaves the current list by itself and stays in the history.

A receipt (one row per person and announcement) keeps when the person first opened it and when
they said "read and understood". The audience itself is never copied: it is resolved by one
set-based query (`audience_of`), so a staff member who joins a branch tomorrow is in it."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.search import name_grams, query_grams
from ocrm.scoping import ScopedQuerySet
from sysadmin.org.models import Branch


class AnnouncementQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"
    scope_owner_field = "created_by"
    scope_guardian_grants = False

    def published(self):
        return self.filter(status=Announcement.Status.PUBLISHED)

    def for_reader(self, user):
        """Published announcements addressed to this person (current or expired)."""
        if user is None or not user.is_authenticated or user.bank_id is None:
            return self.none()
        # A target branch whose path starts the person's branch path: the person is in its subtree
        # (the person's path read in the same query, so the count of queries never depends on it).
        my_path = models.Subquery(Branch.objects.filter(pk=user.branch_id).values("path")[:1])
        targets = (
            AnnouncementBranch.objects.filter(announcement=OuterRef("pk"))
            .annotate(my_path=my_path)
            .filter(my_path__startswith=models.F("branch__path"))
        )
        roles = AnnouncementRole.objects.filter(announcement=OuterRef("pk"))
        my_roles = roles.filter(group__in=user.groups.all())
        return (
            self.published()
            .filter(bank_id=user.bank_id, valid_from__lte=Now())
            .filter(Q(bank_wide=True) | Exists(targets))
            .filter(~Exists(roles) | Exists(my_roles))
        )

    def current(self):
        return self.filter(valid_from__lte=Now()).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=Now()))

    def with_receipt_of(self, user):
        """Annotate opened_at / acknowledged_at of this person (None when never)."""
        receipts = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), staff=user)
        return self.annotate(
            my_opened_at=models.Subquery(receipts.values("opened_at")[:1]),
            my_acknowledged_at=models.Subquery(receipts.values("acknowledged_at")[:1]),
        )

    def unacknowledged_by(self, user):
        done = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), staff=user, acknowledged_at__isnull=False)
        return self.filter(requires_ack=True).filter(~Exists(done))

    def unopened_by(self, user):
        opened = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), staff=user)
        return self.filter(~Exists(opened))

    def search(self, text):
        """Chinese or Latin text in the title or body: the customer search's grams (customers.master.search)."""
        grams, recheck = query_grams(text)
        if not grams:
            return self
        queryset = self.filter(search_grams__contains=grams)
        if recheck:
            queryset = queryset.filter(Q(title__contains=recheck) | Q(body_text__contains=recheck))
        return queryset


class Announcement(models.Model):
    class Kind(models.TextChoices):
        MARKETING = "marketing", _("Marketing news")
        SERVICE = "service", _("Service notice")
        BUSINESS = "business", _("Business notice")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    # The publishing unit: the author's branch (decides which supervisors manage it).
    branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("published by branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.BUSINESS)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, help_text=_("Formatted text; scripts and event handlers are removed."))
    body_text = models.TextField(_("plain text"), blank=True, editable=False)
    search_grams = ArrayField(models.CharField(max_length=40), default=list, blank=True, editable=False)
    bank_wide = models.BooleanField(_("whole bank"), default=False)
    audience_branches = models.ManyToManyField(
        "sysadmin.Branch", verbose_name=_("branches (with the branches below)"), through="AnnouncementBranch", related_name="+"
    )
    audience_roles = models.ManyToManyField(
        "auth.Group", verbose_name=_("roles"), through="AnnouncementRole", related_name="+", blank=True
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    requires_ack = models.BooleanField(_("requires acknowledgement"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", verbose_name=_("change request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="announcements"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-pinned", "-valid_from", "-id"]
        indexes = [
            models.Index(fields=["bank", "status", "valid_from"], name="announce_bank_status"),
            GinIndex(fields=["search_grams"], name="announce_search_grams"),
        ]
        permissions = [
            ("publish_announcement", "Write and publish announcements to the own scope"),
            ("approve_announcement", "Approve bank-wide announcements (checker)"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.search_grams = name_grams(self.title, self.body_text)[:4000]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_grams"}
        super().save(*args, **kwargs)

    @property
    def is_current(self):
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.valid_from <= now
            and (self.valid_until is None or self.valid_until > now)
        )

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT


class AnnouncementBranch(models.Model):
    """One branch subtree of an announcement's audience."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="targets")
    branch = models.ForeignKey("sysadmin.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("audience branch")
        verbose_name_plural = _("audience branches")
        constraints = [models.UniqueConstraint(fields=["announcement", "branch"], name="announce_branch_unique")]
        indexes = [models.Index(fields=["branch", "announcement"], name="announce_branch_target")]

    def __str__(self):
        return f"{self.announcement_id}:{self.branch_id}"


class AnnouncementRole(models.Model):
    """One role of an announcement's audience (no role: every role)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="roles")
    group = models.ForeignKey("auth.Group", verbose_name=_("role"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("audience role")
        verbose_name_plural = _("audience roles")
        constraints = [models.UniqueConstraint(fields=["announcement", "group"], name="announce_role_unique")]

    def __str__(self):
        return f"{self.announcement_id}:{self.group_id}"


def attachment_path(instance, filename):
    """No name or text of the uploader in the stored path: bank, announcement and a random name."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"announcements/{instance.bank_id}/{instance.announcement_id}/{uuid.uuid4().hex}.{extension}"


class AttachmentQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "announcement__branch"
    scope_owner_field = "announcement__created_by"
    scope_guardian_grants = False


class AnnouncementAttachment(models.Model):
    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    announcement = models.ForeignKey(
        Announcement, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement attachment")
        verbose_name_plural = _("announcement attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ReceiptQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "staff__branch"
    scope_owner_field = "staff"
    scope_guardian_grants = False


class AnnouncementReceipt(models.Model):
    """What one person did with one announcement: opened (first time), acknowledged (read and understood)."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    announcement = models.ForeignKey(
        Announcement, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="receipts"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="announcement_receipts"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement receipt")
        verbose_name_plural = _("announcement receipts")
        constraints = [models.UniqueConstraint(fields=["announcement", "staff"], name="announce_receipt_unique")]
        indexes = [models.Index(fields=["staff", "announcement"], name="announce_receipt_staff")]

    def __str__(self):
        return f"{self.announcement_id}:{self.staff_id}"
