"""Knowledge base actions: write (a new numbered version of the text each time), ask for
publication and publish with a checker (ocrm.approvals, action "article.publish": another
marketing manager approves exactly the version asked for), withdraw, restore an old version (as
a new version), attachments, "was this helpful" (one answer per person), search, and the
owners' list of expired or due-for-review articles (with the nightly notice to the owner).
Every action takes the actor, runs in one transaction and is audited (ocrm.audit).

The article row holds the text readers see: once an article was published, a writer's new text
is kept as an ArticleVersion numbered above the row's and reaches readers only when a checker
approves its publication."""

import hashlib
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Product
from customers.master.search import name_grams, query_grams
from customers.profile.services import sniff_document
from marketing.knowledge.models import Article, ArticleAttachment, ArticleCategory, ArticleFeedback, ArticleVersion
from ocrm import parameters
from ocrm.approvals import services as approvals
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.notifications import services as notifications
from sysadmin.roles import ROLE_LABELS

WRITE_PERM = "marketing.change_article"
PUBLISH_PERM = "marketing.publish_article"  # the checker of a publication, and withdrawing
ACTION_PUBLISH = "article.publish"
MAX_ATTACHMENT_PARAM = "marketing.article_attachment_max_bytes"
PARAMETERS = {
    MAX_ATTACHMENT_PARAM: (
        "int",
        "10485760",
        gettext_lazy("Knowledge base: largest attachment (PDF, JPEG or PNG) of an article, in bytes."),
    ),
}
MAX_TAGS = 20
MAX_INDEXED_TEXT = 20000  # characters of the text that search reaches
FIELDS = ("category", "kind", "language", "title", "body", "tags", "roles", "branch", "valid_until", "review_on")


def search_keys(title, body, tags):
    """The article's search keys (customers.master.search.name_grams over title, text and tags),
    bounded so a very long text keeps a small index entry."""
    return name_grams(title, " ".join(tags or ()), (body or "")[:MAX_INDEXED_TEXT])


def parse_tags(text):
    tags = []
    for tag in str(text or "").replace("，", ",").split(","):
        tag = tag.strip()[:40]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("Give at most %(n)d tags.") % {"n": MAX_TAGS}})
    return tags


def _check(actor, values, bank_id):
    errors = {}
    if not (values.get("title") or "").strip():
        errors["title"] = _("Enter the title.")
    if not (values.get("body") or "").strip():
        errors["body"] = _("Enter the text.")
    category = values.get("category")
    if category is not None and category.bank_id != bank_id:
        errors["category"] = _("Choose a category of your bank.")
    branch = values.get("branch")
    if branch is not None and branch.bank_id != bank_id:
        errors["branch"] = _("Choose a branch of your bank.")
    unknown = [r for r in values.get("roles") or () if r not in ROLE_LABELS]
    if unknown:
        errors["roles"] = _("Unknown roles: %(roles)s.") % {"roles": ", ".join(unknown)}
    valid_until, review_on = values.get("valid_until"), values.get("review_on")
    if valid_until and review_on and review_on > valid_until:
        errors["review_on"] = _("The review date must come before the end of validity.")
    if errors:
        raise ValidationError(errors)


def _require(actor, perm):
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You may not change the knowledge base."))


def category_named(actor, name):
    """The bank's category of that name (created when new)."""
    _require(actor, WRITE_PERM)
    name = (name or "").strip()[:100]
    if not name:
        return None
    category, _created = ArticleCategory.objects.get_or_create(bank_id=actor.bank_id, name=name)
    return category


def _keep_version(article, actor, note=""):
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        tags=article.tags,
        note=note,
        made_by=actor,
    )


def _audit(article, actor, event, changes=None):
    audit.record(
        AuditLog.Action.UPDATE, article, actor=actor, bank_id=article.bank_id, changes=changes or {}, detail={"event": event}
    )


@transaction.atomic
def create_article(actor, *, products=(), **values):
    _require(actor, WRITE_PERM)
    if actor.bank_id is None:
        raise ValidationError(_("Only staff of a bank write its knowledge base."))
    _check(actor, values, actor.bank_id)
    values = {k: v for k, v in values.items() if k in FIELDS}
    values["title"], values["body"] = values["title"].strip(), values["body"].strip()
    article = Article(bank_id=actor.bank_id, owner=actor, **values)
    article.search_keys = search_keys(article.title, article.body, article.tags)
    article.save()
    article.products.set([p for p in products if p.bank_id == actor.bank_id])
    _keep_version(article, actor)
    _audit(article, actor, "article_created", {"title": [None, article.title]})
    return article


def locked(article_id, actor):
    article = Article.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=article_id).first()
    if article is None:
        raise NotVisible
    return article


def latest_version(article):
    """The newest text of the article (a draft above the published one, or the row's own)."""
    return article.versions.order_by("-number").first()


def _cancel_waiting(article, actor, reason):
    for request in approvals.pending_for(article).filter(action=ACTION_PUBLISH):
        approvals.cancel(request.pk, actor, reason)


def _write_text(article, actor, latest, title, body, tags, note):
    """A new version of the text. Before the first publication the row takes it at once (no
    reader sees a draft); afterwards it waits as a version until a checker approves it, and a
    publication asked for an older text is closed (the checker would approve a stale text)."""
    number = latest.number + 1
    if article.ever_published:
        ArticleVersion.objects.create(article=article, number=number, title=title, body=body, tags=tags, note=note, made_by=actor)
        _cancel_waiting(article, actor, _("A newer version was written."))
        return number
    article.title, article.body, article.tags = title, body, tags
    article.version = number
    article.search_keys = search_keys(title, body, tags)
    _keep_version(article, actor, note)
    return number


@transaction.atomic
def update_article(article_id, actor, *, products=None, note="", **values):
    """Save a new text: the version number goes up and the old text stays in the history. The
    text of a published article changes for readers only once its publication is approved;
    audience, dates and products change at once."""
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    latest = latest_version(article)
    current = {name: getattr(latest, name) if name in ("title", "body", "tags") else getattr(article, name) for name in FIELDS}
    _check(actor, {name: values.get(name, current[name]) for name in FIELDS}, article.bank_id)
    changes, text = {}, {name: current[name] for name in ("title", "body", "tags")}
    for name in FIELDS:
        if name in values:
            new = values[name].strip() if name in ("title", "body") else values[name]
            old = current[name]
            if old != new:
                changes[name] = [str(old) if old is not None else None, str(new) if new is not None else None]
            if name in text:
                text[name] = new
            else:
                setattr(article, name, new)
    if any(name in changes for name in text):
        number = _write_text(article, actor, latest, text["title"], text["body"], text["tags"], note)
        changes["version"] = [latest.number, number]
    article.save()
    if products is not None:
        article.products.set([p for p in products if p.bank_id == article.bank_id])
    _audit(article, actor, "article_changed", changes)
    return article


@transaction.atomic
def request_publication(article_id, actor, reason=""):
    """Ask a checker (another holder of marketing.publish_article) to publish the newest
    version; returns the ChangeRequest."""
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    latest = latest_version(article)
    if approvals.pending_for(article).filter(action=ACTION_PUBLISH).exists():
        raise ValidationError(_("The publication of this article already waits for approval."))
    if article.status == Article.Status.PUBLISHED and latest.number == article.published_version:
        raise ValidationError(_("This version is already published."))
    changes = {"version": [article.published_version, latest.number]}
    if article.status != Article.Status.PUBLISHED:
        changes["status"] = [article.status, Article.Status.PUBLISHED]
    request = approvals.submit(
        action=ACTION_PUBLISH,
        obj=article,
        changes=changes,
        maker=actor,
        bank_id=article.bank_id,
        payload={"version": latest.number},
        reason=reason,
    )
    _audit(article, actor, "article_publication_requested", {"version": [article.published_version, latest.number]})
    return request


def apply_publication(change_request, checker):
    """The approvals handler (inside approvals.approve's transaction): the version asked for
    becomes the text readers see."""
    article = Article.objects.select_for_update().filter(pk=change_request.object_id).first()
    version = article and article.versions.filter(number=change_request.payload["version"]).first()
    if version is None:
        raise ValidationError(_("This version of the article no longer exists."))
    before = article.status
    article.title, article.body, article.tags = version.title, version.body, version.tags
    article.version = article.published_version = version.number
    article.search_keys = search_keys(article.title, article.body, article.tags)
    article.status, article.published_at = Article.Status.PUBLISHED, timezone.now()
    article.save()
    _audit(article, checker, "article_published", {"status": [before, article.status], "version": [None, version.number]})


def register_handlers():
    """Called from MarketingConfig.ready()."""
    approvals.register(
        ACTION_PUBLISH,
        apply=apply_publication,
        checker_perm=PUBLISH_PERM,
        label=gettext_lazy("Publish a knowledge article"),
    )


def waiting_publication(article):
    """The pending publication request of the article, if any."""
    return approvals.pending_for(article).filter(action=ACTION_PUBLISH).first()


@transaction.atomic
def withdraw(article_id, actor):
    """Take a published article away from its readers at once (withdrawing needs no checker)."""
    _require(actor, PUBLISH_PERM)
    article = locked(article_id, actor)
    if article.status != Article.Status.PUBLISHED:
        raise ValidationError(_("Only a published article can be withdrawn."))
    article.status = Article.Status.WITHDRAWN
    article.save(update_fields=["status", "updated_at"])
    _audit(article, actor, "article_withdrawn", {"status": [Article.Status.PUBLISHED, article.status]})
    return article


@transaction.atomic
def restore(article_id, number, actor):
    """Bring back the text of version `number` as a new version (the history keeps everything);
    on a published article it waits for approval like any new text."""
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    old = article.versions.filter(number=number).first()
    if old is None:
        raise ValidationError(_("There is no such version."))
    latest = latest_version(article)
    if (old.title, old.body, old.tags) == (latest.title, latest.body, latest.tags):
        raise ValidationError(_("The article already has this text."))
    note = _("Restored from version %(n)d") % {"n": number}
    new_number = _write_text(article, actor, latest, old.title, old.body, old.tags, note)
    article.save()
    _audit(article, actor, "article_restored", {"version": [number, new_number]})
    article.restored_as = new_number
    return article


# --- attachments -----------------------------------------------------------------------------------


def max_attachment_bytes(bank_id):
    return parameters.get(MAX_ATTACHMENT_PARAM, bank_id)


def add_attachment(article_id, actor, uploaded):
    """Attach a file (PDF, JPEG or PNG judged by its first bytes — customers.profile's
    sniff_document — at most the bank's marketing.article_attachment_max_bytes). Nothing is left
    in storage when the transaction fails."""
    _require(actor, WRITE_PERM)
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file.")})
    limit = max_attachment_bytes(actor.bank_id)
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
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = os.path.basename((uploaded.name or "").replace("\\", "/"))[:200] or f"attachment.{extension}"
    stored = None
    try:
        with transaction.atomic():
            article = locked(article_id, actor)
            attachment = ArticleAttachment(
                article=article,
                original_name=name,
                content_type=content_type,
                size=uploaded.size,
                sha256=digest.hexdigest(),
                uploaded_by=actor,
            )
            attachment.file.save(f"attachment.{extension}", uploaded, save=False)
            stored = attachment.file.name
            attachment.save()
            _audit(article, actor, "article_attachment_added", {"attachment": [None, name]})
    except BaseException:
        if stored:
            attachment.file.storage.delete(stored)
        raise
    return attachment


def open_attachment(article_id, attachment_id, actor):
    """(attachment, open file) for a reader of the article; NotVisible otherwise."""
    attachment = (
        ArticleAttachment.objects.filter(pk=attachment_id, article_id=article_id, article__in=Article.objects.visible_to(actor))
        .select_related("article")
        .first()
    )
    if attachment is None:
        raise NotVisible
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotVisible from None
    return attachment, handle


@transaction.atomic
def remove_attachment(article_id, attachment_id, actor):
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    attachment = article.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotVisible
    name, stored, storage = attachment.original_name, attachment.file.name, attachment.file.storage
    attachment.delete()
    _audit(article, actor, "article_attachment_removed", {"attachment": [name, None]})
    transaction.on_commit(lambda: storage.delete(stored))
    return article


@transaction.atomic
def rate(article_id, actor, helpful):
    """One reader's "was this helpful" answer: one per person (a new answer replaces the old one
    and moves the counters); readers of the article only."""
    article = Article.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=article_id).first()
    if article is None:
        raise NotVisible
    helpful = bool(helpful)
    previous = ArticleFeedback.objects.select_for_update().filter(article=article, staff=actor).first()
    if previous is not None and previous.helpful == helpful:
        return article
    column = "helpful_yes" if helpful else "helpful_no"
    moves = {column: F(column) + 1}
    if previous is not None:
        other = "helpful_no" if helpful else "helpful_yes"
        moves[other] = F(other) - 1
        previous.helpful = helpful
        previous.save(update_fields=["helpful", "answered_at"])
    else:
        ArticleFeedback.objects.create(article=article, staff=actor, helpful=helpful)
    Article.objects.filter(pk=article.pk).update(**moves)
    article.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return article


def search(queryset, text):
    """Articles whose title, text or tags contain the words of `text` (Chinese or Latin): the
    search keys must hold every gram of the query (GIN index), rechecked with a substring
    match for Chinese fragments longer than two characters."""
    grams, recheck = query_grams(text)
    if not grams:
        return queryset
    queryset = queryset.filter(search_keys__contains=grams)
    if recheck:
        queryset = queryset.filter(Q(title__contains=recheck) | Q(body__contains=recheck))
    return queryset


def due_for_review(owner, today=None):
    """The owner's articles that expired or whose review date has come (flagged to the owner)."""
    return _due_articles(Article.objects.filter(owner=owner), today or timezone.localdate())


def _due_articles(queryset, today):
    return queryset.exclude(status=Article.Status.WITHDRAWN).filter(Q(valid_until__lt=today) | Q(review_on__lte=today))


def notify_due_owners(bank_id, today):
    """The nightly notice (job knowledge_review): each owner hears of each of their articles that
    expired or whose review date came, once per article and date (the dedupe key names the date
    that made it due, so a rerun sends nothing twice and a new review date is heard of again).
    Returns how many notices were made."""
    made = 0
    rows = _due_articles(Article.objects.filter(bank_id=bank_id, owner__is_active=True), today).select_related("owner")
    for article in rows.order_by("pk"):
        expired = article.expired(today)
        due_date = article.valid_until if expired else article.review_on
        key = f"knowledge:{'expired' if expired else 'review'}:{article.pk}:{due_date}"

        def title(_recipient, expired=expired, article=article):
            text = _("Article expired: %(title)s") if expired else _("Article due for review: %(title)s")
            return text % {"title": article.title}

        def body(_recipient, expired=expired, article=article):
            if expired:
                return _("It was valid until %(date)s. Update it or withdraw it.") % {"date": article.valid_until.isoformat()}
            return _("Its review date is %(date)s.") % {"date": article.review_on.isoformat()}

        made += notifications.notify(
            [article.owner], title, body, link=reverse("marketing:article", args=[article.pk]), dedupe_key=key
        )
    return made


def articles_for_products(user, product_ids):
    """Published articles the user may read that are linked to any of these products."""
    return Article.objects.visible_to(user).filter(status=Article.Status.PUBLISHED, products__in=list(product_ids)).distinct()


def products_of_bank(bank_id):
    return Product.objects.filter(bank_id=bank_id).order_by("code")


def articles_by_product(user, product_ids):
    """{product id: [(article id, title)]} of the published articles the user may read that are
    linked to these products (one query): shown beside the product on its page and on the 360
    page's eligible offers."""
    found = {}
    rows = (
        Article.objects.visible_to(user)
        .filter(status=Article.Status.PUBLISHED, products__in=list(product_ids))
        .values_list("products", "pk", "title")
        .order_by("title")
    )
    for product_id, pk, title in rows:
        found.setdefault(product_id, []).append((pk, title))
    return found
