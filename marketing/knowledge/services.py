"""Knowledge base actions: write (a new numbered version of the text each time), publish and
withdraw, restore an old version (as a new version), "was this helpful", search, and the
owners' list of expired or due-for-review articles. Every action takes the actor, runs in one
transaction and is audited (ocrm.audit)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Product
from customers.master.search import name_grams, query_grams
from marketing.knowledge.models import Article, ArticleCategory, ArticleVersion
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.roles import ROLE_LABELS

WRITE_PERM = "marketing.change_article"
PUBLISH_PERM = "marketing.publish_article"
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


@transaction.atomic
def update_article(article_id, actor, *, products=None, note="", **values):
    """Save a new text: the version number goes up and the old text stays in the history.
    A published article stays published with the new text."""
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    _check(actor, {name: values.get(name, getattr(article, name)) for name in FIELDS}, article.bank_id)
    changes = {}
    for name in FIELDS:
        if name in values:
            new = values[name].strip() if name in ("title", "body") else values[name]
            old = getattr(article, name)
            if old != new:
                changes[name] = [str(old) if old is not None else None, str(new) if new is not None else None]
            setattr(article, name, new)
    text_changed = any(name in changes for name in ("title", "body", "tags"))
    if text_changed:
        article.version += 1
    article.search_keys = search_keys(article.title, article.body, article.tags)
    article.save()
    if products is not None:
        article.products.set([p for p in products if p.bank_id == article.bank_id])
    if text_changed:
        _keep_version(article, actor, note)
    _audit(article, actor, "article_changed", changes)
    return article


@transaction.atomic
def publish(article_id, actor, *, now=None):
    _require(actor, PUBLISH_PERM)
    article = locked(article_id, actor)
    if article.status == Article.Status.PUBLISHED:
        raise ValidationError(_("This article is already published."))
    before = article.status
    article.status, article.published_at = Article.Status.PUBLISHED, now or timezone.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    _audit(article, actor, "article_published", {"status": [before, article.status]})
    return article


@transaction.atomic
def withdraw(article_id, actor):
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
    """Bring back the text of version `number` as a new version (the history keeps everything)."""
    _require(actor, WRITE_PERM)
    article = locked(article_id, actor)
    old = article.versions.filter(number=number).first()
    if old is None:
        raise ValidationError(_("There is no such version."))
    if (old.title, old.body, old.tags) == (article.title, article.body, article.tags):
        raise ValidationError(_("The article already has this text."))
    article.title, article.body, article.tags = old.title, old.body, old.tags
    article.version += 1
    article.search_keys = search_keys(article.title, article.body, article.tags)
    article.save()
    _keep_version(article, actor, _("Restored from version %(n)d") % {"n": number})
    _audit(article, actor, "article_restored", {"version": [number, article.version]})
    return article


def rate(article_id, actor, helpful):
    """One "was this helpful" answer (a counter; readers of the article only)."""
    column = "helpful_yes" if helpful else "helpful_no"
    updated = Article.objects.visible_to(actor).filter(pk=article_id).update(**{column: F(column) + 1})
    if not updated:
        raise NotVisible
    return Article.objects.get(pk=article_id)


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
    today = today or timezone.localdate()
    return (
        Article.objects.filter(owner=owner)
        .exclude(status=Article.Status.WITHDRAWN)
        .filter(Q(valid_until__lt=today) | Q(review_on__lte=today))
    )


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
