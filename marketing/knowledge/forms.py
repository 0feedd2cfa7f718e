"""Forms of the knowledge base pages (marketing.knowledge.services checks the rest)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import Product
from marketing.knowledge import services
from marketing.knowledge.models import Article, ArticleCategory
from ocrm.widgets import DateInput
from sysadmin.org.models import Branch
from sysadmin.roles import ROLE_LABELS


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Article.Kind.choices)
    language = forms.ChoiceField(label=_("language"), choices=Article.Language.choices)
    category = forms.ModelChoiceField(label=_("category"), queryset=ArticleCategory.objects.none(), required=False)
    new_category = forms.CharField(label=_("or a new category"), max_length=100, required=False)
    body = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 12}))
    tags = forms.CharField(label=_("tags (separated by commas)"), max_length=800, required=False)
    products = forms.ModelMultipleChoiceField(label=_("products"), queryset=Product.objects.none(), required=False)
    roles = forms.MultipleChoiceField(
        label=_("audience (roles; none = every role)"), choices=list(ROLE_LABELS.items()), required=False
    )
    branch = forms.ModelChoiceField(
        label=_("audience (branch subtree; empty = the whole bank)"), queryset=Branch.objects.none(), required=False
    )
    valid_until = forms.DateField(label=_("valid until"), required=False, widget=DateInput())
    review_on = forms.DateField(label=_("review on"), required=False, widget=DateInput())
    note = forms.CharField(label=_("what changed"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ArticleCategory.objects.filter(bank_id=user.bank_id)
        self.fields["products"].queryset = Product.objects.filter(bank_id=user.bank_id).order_by("code")
        self.fields["branch"].queryset = Branch.objects.filter(bank_id=user.bank_id).order_by("path")

    @staticmethod
    def initial_from(article, text=None):
        """The article's fields, with the text of `text` (its newest version) when given."""
        text = text or article
        return {
            "title": text.title,
            "kind": article.kind,
            "language": article.language,
            "category": article.category_id,
            "body": text.body,
            "tags": ", ".join(text.tags),
            "products": list(article.products.values_list("pk", flat=True)),
            "roles": article.roles,
            "branch": article.branch_id,
            "valid_until": article.valid_until,
            "review_on": article.review_on,
        }

    def values(self, user):
        data = dict(self.cleaned_data)
        new_category = data.pop("new_category", "")
        if new_category.strip():
            data["category"] = services.category_named(user, new_category)
        data["tags"] = services.parse_tags(data.get("tags"))
        data["roles"] = list(data.get("roles") or ())
        products = list(data.pop("products", None) or ())
        note = data.pop("note", "")
        return data, products, note


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("file"), help_text=_("PDF, PNG or JPEG."), allow_empty_file=True, max_length=200)


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("search"), method="search_text")
    category = django_filters.ModelChoiceFilter(label=_("category"), queryset=ArticleCategory.objects.none())
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Article.Kind.choices)
    language = django_filters.ChoiceFilter(label=_("language"), choices=Article.Language.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=Article.Status.choices)
    tag = django_filters.CharFilter(label=_("tag"), field_name="tags", lookup_expr="contains", method="with_tag")

    class Meta:
        model = Article
        fields = ["q", "category", "kind", "language", "status", "tag"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        bank_id = getattr(getattr(request, "user", None), "bank_id", None)
        self.filters["category"].queryset = ArticleCategory.objects.filter(bank_id=bank_id)

    def search_text(self, queryset, name, value):
        return services.search(queryset, value)

    def with_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip()]) if value.strip() else queryset
