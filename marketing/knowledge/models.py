"""The knowledge base (知识管理): articles (product guides, sales scripts, regulations, FAQs) in a
category, with tags, a language, links to products, an audience (roles, branch subtree), a
validity and review date, and every saved text kept as a numbered version (restore copies an old
version back as a new one). Readers see published articles meant for them; marketing managers
(marketing.change_article) see the bank's drafts too. Search uses the customer search's keys
(customers.master.search: CJK unigrams and bigrams, Latin word prefixes) behind a GIN index."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of


class ArticleCategory(models.Model):
    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        constraints = [models.UniqueConstraint(fields=("bank", "name"), name="article_category_unique_name")]
        ordering = ("name",)

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Writers (marketing.change_article): every article of their bank. Readers: the published
        articles of their bank whose audience includes them (their role, their branch's subtree)."""
        scope = scope_of(user)
        if scope is None and not (user is not None and user.is_authenticated and user.is_active and user.bank_id):
            return self.none()
        if scope == "all":
            return self
        qs = self.filter(bank_id=user.bank_id)
        if user.has_perm("marketing.change_article"):
            return qs
        qs = qs.filter(status=Article.Status.PUBLISHED)
        # The audience's roles against the user's groups inside the same query (no query of its own).
        staff = get_user_model()
        through = staff.groups.through._meta
        qs = qs.extra(
            where=[
                f"""(cardinality(marketing_article.roles) = 0 OR marketing_article.roles && ARRAY(
                       SELECT g.name::varchar FROM auth_group g JOIN {through.db_table} ug ON ug.group_id = g.id
                        WHERE ug.{through.get_field(staff._meta.model_name).column} = %s))"""
            ],
            params=[user.pk],
        )
        if user.branch_id:
            path = user.branch.path
            qs = qs.filter(Q(branch__isnull=True) | Q(branch__path__in=_ancestor_paths(path)))
        else:
            qs = qs.filter(branch__isnull=True)
        return qs


def _ancestor_paths(path):
    """The branch's own materialised path and every ancestor's ("/1/4/9/" -> /1/, /1/4/, /1/4/9/)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


class Article(models.Model):
    class Kind(models.TextChoices):
        GUIDE = "guide", _("Product guide")
        SCRIPT = "script", _("Sales script")
        REGULATION = "regulation", _("Regulation")
        FAQ = "faq", _("FAQ")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Language(models.TextChoices):
        ZH = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        ArticleCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.GUIDE)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"))
    products = models.ManyToManyField("customers.Product", verbose_name=_("products"), blank=True, related_name="+")
    # Audience: empty roles = every role; no branch = the whole bank, else that branch's subtree.
    roles = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("audience (roles)"))
    branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("audience (branch subtree)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    review_on = models.DateField(_("review on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The number of the text held in this row: readers see it. Once an article was published, a
    # writer's later text waits as an ArticleVersion numbered above it until a checker approves it.
    version = models.PositiveIntegerField(_("version"), default=1)
    published_version = models.PositiveIntegerField(_("published version"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    search_keys = ArrayField(models.CharField(max_length=40), default=list, blank=True, editable=False)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("publish_article", _("Can publish and withdraw knowledge articles"))]
        indexes = [
            GinIndex(fields=("search_keys",), name="article_search_keys_idx"),
            models.Index(fields=("bank", "status", "category"), name="article_list_idx"),
        ]

    def __str__(self):
        return self.title

    def expired(self, today):
        return self.valid_until is not None and self.valid_until < today

    @property
    def ever_published(self):
        return self.published_version is not None


class ArticleVersion(models.Model):
    """One saved text of an article (its number is the article's version when it was saved)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=("article", "number"), name="article_version_unique_number")]
        ordering = ("-number",)

    def __str__(self):
        return f"{self.article_id} v{self.number}"


def attachment_path(instance, filename):
    """No title or person in the stored name: the bank, the article and a content digest."""
    return f"knowledge/{instance.article.bank_id}/{instance.article_id}/{instance.sha256[:16]}.{filename.rsplit('.', 1)[-1]}"


class ArticleAttachment(models.Model):
    """A file attached to an article (type judged by its first bytes, size capped by the bank's
    parameter marketing.article_attachment_max_bytes); readers of the article may open it."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")
        ordering = ("uploaded_at", "id")

    def __str__(self):
        return self.original_name


class ArticleFeedback(models.Model):
    """One reader's "was this helpful" answer (one per person and article; a new answer replaces
    the old one and moves the article's counters)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    answered_at = models.DateTimeField(_("answered"), auto_now=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=("article", "staff"), name="article_feedback_once")]

    def __str__(self):
        return f"{self.article_id}: {self.helpful}"
