"""Knowledge base pages: the list with search, an article (its text, linked products, history
for writers, "was this helpful"), writing and editing, publish / withdraw, restore a version.
Rows come from Article.objects.visible_to(user): an article outside it is 404. The work is done
by marketing.knowledge.services."""

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketing.knowledge import services
from marketing.knowledge.forms import ArticleFilterSet, ArticleForm, AttachmentForm
from marketing.knowledge.models import Article
from marketing.knowledge.tables import ArticleTable
from ocrm.approvals import inbox
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView

VIEW_PERM = "marketing.view_article"


class ArticleListView(ScopedListView):
    model = Article
    permission_required = VIEW_PERM
    table_class = ArticleTable
    filterset_class = ArticleFilterSet
    select_related = ("category",)
    title = gettext_lazy("Knowledge base")
    template_name = "marketing/knowledge/list.html"
    export_filename = "articles"
    create_url = "marketing:article_create"
    create_perm = "marketing.add_article"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.has_perm(services.WRITE_PERM):
            context["due_count"] = services.due_for_review(user, timezone.localdate()).count()
        return context


class _ArticleFormView(ServiceFormView):
    form_class = ArticleForm
    template_name = "marketing/knowledge/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_success_url(self, article):
        return reverse("marketing:article", args=[article.pk])


class ArticleCreateView(_ArticleFormView):
    permission_required = (VIEW_PERM, "marketing.add_article")
    title = gettext_lazy("New article")
    success_message = gettext_lazy("The article is saved as a draft.")

    def perform(self, form):
        values, products, _note = form.values(self.request.user)
        return services.create_article(self.request.user, products=products, **values)


class ArticleEditView(_ArticleFormView):
    permission_required = (VIEW_PERM, services.WRITE_PERM)
    model = Article
    success_message = gettext_lazy("The article is saved.")

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if "data" not in kwargs:
            # The newest text (a draft waiting above the published one, when there is one).
            kwargs["initial"] = ArticleForm.initial_from(self.object, services.latest_version(self.object))
        return self.form_class(**kwargs)

    def get_title(self):
        return _("Edit “%(title)s”") % {"title": self.object.title}

    def perform(self, form):
        values, products, note = form.values(self.request.user)
        return services.update_article(self.object.pk, self.request.user, products=products, note=note, **values)


class ArticleDetailView(PermissionPageMixin, TemplateView):
    permission_required = VIEW_PERM
    template_name = "marketing/knowledge/detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        article = Article.objects.visible_to(user).select_related("category", "owner", "branch").filter(pk=kwargs["pk"]).first()
        if article is None:
            raise NotVisible
        may_write = user.has_perm(services.WRITE_PERM)
        versions = list(article.versions.select_related("made_by")) if may_write else []
        # Writers see the newest text when it waits above the published one; readers never do.
        draft = versions[0] if versions and versions[0].number > article.version else None
        waiting = services.waiting_publication(article) if may_write else None
        return super().get_context_data(
            article=article,
            draft=draft,
            waiting=waiting,
            inbox_url=inbox.page_url(action=services.ACTION_PUBLISH) if waiting else "",
            products=list(article.products.order_by("code")),
            attachments=list(article.attachments.all()),
            attachment_form=AttachmentForm() if may_write else None,
            versions=versions,
            may_write=may_write,
            may_publish=user.has_perm(services.PUBLISH_PERM),
            expired=article.expired(timezone.localdate()),
            title=article.title,
            **kwargs,
        )


class _ArticleAction(ServiceActionView):
    model = Article

    def get_success_url(self, result):
        return reverse("marketing:article", args=[self.object.pk])


class ArticlePublishView(_ArticleAction):
    """Ask for publication: another marketing manager approves it in the approvals inbox."""

    permission_required = (VIEW_PERM, services.WRITE_PERM)
    success_message = gettext_lazy("The publication waits for another marketing manager's approval.")

    def perform(self):
        return services.request_publication(self.object.pk, self.request.user, self.request.POST.get("reason", ""))


class ArticleWithdrawView(_ArticleAction):
    permission_required = (VIEW_PERM, services.PUBLISH_PERM)
    success_message = gettext_lazy("The article is withdrawn.")

    def perform(self):
        return services.withdraw(self.object.pk, self.request.user)


class ArticleRestoreView(_ArticleAction):
    permission_required = (VIEW_PERM, services.WRITE_PERM)

    def perform(self):
        return services.restore(self.object.pk, self.kwargs["number"], self.request.user)

    def get_success_message(self, article):
        return _("Version %(old)d restored as version %(new)d.") % {"old": self.kwargs["number"], "new": article.restored_as}


class ArticleHelpfulView(_ArticleAction):
    permission_required = VIEW_PERM
    success_message = gettext_lazy("Thank you for your answer.")

    def perform(self):
        return services.rate(self.object.pk, self.request.user, self.request.POST.get("helpful") == "yes")


class AttachmentAddView(_ArticleAction):
    permission_required = (VIEW_PERM, services.WRITE_PERM)
    form_class = AttachmentForm
    success_message = gettext_lazy("The file was attached.")

    def get_form_kwargs(self):
        return {"files": self.request.FILES}

    def perform(self):
        return services.add_attachment(self.object.pk, self.request.user, self.form.cleaned_data["file"])


class AttachmentRemoveView(_ArticleAction):
    permission_required = (VIEW_PERM, services.WRITE_PERM)
    success_message = gettext_lazy("The file was removed.")

    def perform(self):
        return services.remove_attachment(self.object.pk, self.kwargs["attachment_id"], self.request.user)


# Shown inline in the browser; anything else is downloaded (never rendered as HTML from our origin).
INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "application/pdf"}


class AttachmentDownloadView(PermissionPageMixin, View):
    """Streams one of the article's files to a reader of the article (404 for anyone else)."""

    permission_required = VIEW_PERM

    def get(self, request, pk, attachment_id):
        attachment, handle = services.open_attachment(pk, attachment_id, request.user)
        inline = attachment.content_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
        return FileResponse(
            handle,
            as_attachment=not inline,
            filename=attachment.original_name,
            content_type=attachment.content_type if inline else "application/octet-stream",
        )
