"""Knowledge base: writing keeps every version (restore as a new one), only published articles
reach readers and only those meant for their role and branch, another bank's article is 404,
Chinese and Latin search through the search keys, "was this helpful", expired articles flagged
to their owner, every bank role reads and only marketing managers write, the list's queries."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from customers.master.models import Product
from marketing.knowledge import services
from marketing.knowledge.models import Article
from ocrm import navigation
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from sysadmin.org.models import Staff
from tests.customers.test_chinese_pages import ALLOWED, findings, interface_words, untranslated  # noqa: F401
from tests.factories import make_customer, make_product, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english_staff):
    """Messages read in English."""


def write(org, actor=None, **values):
    fields = {
        "title": "定期存款销售话术",
        "body": "向客户介绍一年期定期存款的利率和提前支取规则。Early withdrawal earns the demand rate.",
        "tags": ["存款", "script"],
        "kind": Article.Kind.SCRIPT,
        **values,
    }
    return services.create_article(actor or org.marketing_manager, **fields)


def checker_of(org):
    """A second marketing manager: publication needs another person than the writer."""
    return Staff.objects.filter(username="a.mm2").first() or make_staff(
        "a.mm2", branch=org.marketing_manager.branch, roles=["marketing_manager"]
    )


def approve_publication(org, article, maker=None):
    request = services.request_publication(article.pk, maker or org.marketing_manager)
    approvals.approve(request.pk, checker_of(org))
    return Article.objects.get(pk=article.pk)


def published(org, **values):
    return approve_publication(org, write(org, **values))


def test_every_text_is_a_version_and_restore_brings_an_old_one_back(org):
    article = write(org)
    article = services.update_article(article.pk, org.marketing_manager, body="新的话术", note="rates changed")
    assert article.version == 2
    assert list(article.versions.values_list("number", flat=True)) == [2, 1]
    article = services.restore(article.pk, 1, org.marketing_manager)
    assert article.version == 3 and article.body.startswith("向客户介绍")
    assert article.versions.count() == 3
    with pytest.raises(ValidationError):
        services.restore(article.pk, 1, org.marketing_manager)  # already this text


def test_a_change_outside_the_text_keeps_the_version(org):
    article = write(org)
    article = services.update_article(article.pk, org.marketing_manager, review_on=datetime.date(2027, 1, 1))
    assert article.version == 1 and article.versions.count() == 1


def test_readers_see_only_published_articles_meant_for_them(org):
    draft = write(org, title="草稿")
    for_all = published(org, title="全行")
    for_managers = published(org, title="客户经理", roles=["customer_manager"])
    for_sh = published(org, title="上海", branch=org.a_sh)
    for_bj = published(org, title="北京", branch=org.a_bj)
    manager_sees = set(Article.objects.visible_to(org.manager))
    assert manager_sees == {for_all, for_managers, for_sh}
    assert set(Article.objects.visible_to(org.manager_sub)) == {for_all, for_managers, for_sh}  # SH's subtree
    assert set(Article.objects.visible_to(org.teller)) == {for_all, for_sh}
    assert draft in set(Article.objects.visible_to(org.marketing_manager))
    assert for_bj in set(Article.objects.visible_to(org.marketing_manager))
    assert not Article.objects.visible_to(org.b_manager).exists()


def test_withdrawn_articles_leave_the_readers(org):
    article = published(org)
    services.withdraw(article.pk, org.marketing_manager)
    assert not Article.objects.visible_to(org.manager).exists()


def test_only_marketing_managers_write(org):
    with pytest.raises(PermissionDenied):
        write(org, actor=org.manager)
    article = write(org)
    with pytest.raises(PermissionDenied):
        services.request_publication(article.pk, org.manager)
    request = services.request_publication(article.pk, org.marketing_manager)
    with pytest.raises(PermissionDenied):  # never one's own request
        approvals.approve(request.pk, org.marketing_manager)
    with pytest.raises(NotVisible):  # a draft is not even visible to a manager
        services.rate(article.pk, org.manager, True)


def test_bad_input_is_named_by_field(org):
    with pytest.raises(ValidationError) as refused:
        write(org, title=" ", branch=org.b_hk, roles=["astronaut"])
    assert set(refused.value.message_dict) == {"title", "branch", "roles"}
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("query", "found"),
    [("定期", True), ("定期存款", True), ("话术", True), ("early", True), ("withdr", True), ("script", True), ("贷款", False)],
)
def test_search_in_chinese_and_latin(org, query, found):
    article = write(org)
    assert (article in set(services.search(Article.objects.all(), query))) is found


def test_helpful_counts_one_answer_per_person(org):
    article = published(org)
    services.rate(article.pk, org.manager, True)
    services.rate(article.pk, org.manager, True)  # the same answer again counts once
    services.rate(article.pk, org.teller, False)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    services.rate(article.pk, org.teller, True)  # a changed answer moves the counters
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (2, 0)
    with pytest.raises(NotVisible):
        services.rate(article.pk, org.b_manager, True)


def test_expired_and_due_articles_are_flagged_to_their_owner(org):
    today = datetime.date(2026, 12, 6)
    expired = write(org, title="old", valid_until=datetime.date(2026, 11, 30))
    due = write(org, title="due", review_on=datetime.date(2026, 12, 6))
    write(org, title="fine", valid_until=datetime.date(2027, 6, 30), review_on=datetime.date(2027, 1, 1))
    assert set(services.due_for_review(org.marketing_manager, today)) == {expired, due}


def test_linked_products_show_their_articles(org):
    product = make_product(org.bank_a, "TD-1Y")
    article = published(org)
    services.update_article(article.pk, org.marketing_manager, products=[product])
    assert list(services.articles_for_products(org.manager, [product.pk])) == [article]


# --- pages -----------------------------------------------------------------------------------------


def test_list_search_and_detail_pages(client, org, django_assert_max_num_queries):
    article = published(org)
    write(org, title="draft only")
    client.force_login(org.manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("marketing:articles"), {"q": "定期存款"})
    assert response.status_code == 200
    assert "定期存款销售话术" in response.content.decode() and "draft only" not in response.content.decode()
    response = client.get(reverse("marketing:article", args=[article.pk]))
    assert response.status_code == 200 and "article-edit" not in response.content.decode()


def test_another_banks_article_is_404(client, org):
    article = published(org)
    client.force_login(org.b_manager)
    assert client.get(reverse("marketing:article", args=[article.pk])).status_code == 404
    draft = write(org)
    client.force_login(org.manager)
    assert client.get(reverse("marketing:article", args=[draft.pk])).status_code == 404


def test_every_bank_role_reads_and_only_marketing_managers_write(client, org):
    for role, user in org.role_users.items():
        client.force_login(user)
        assert client.get(reverse("marketing:articles")).status_code == 200, role
        expected = 200 if role == "marketing_manager" else 403
        assert client.get(reverse("marketing:article_create")).status_code == expected, role


def test_write_edit_publish_restore_through_the_pages(client, org):
    product = make_product(org.bank_a, "FUND-1")
    client.force_login(org.marketing_manager)
    response = client.post(
        reverse("marketing:article_create"),
        {
            "title": "Fund FAQ",
            "kind": "faq",
            "language": "en",
            "new_category": "Funds",
            "body": "What is a fund?",
            "tags": "fund, FAQ",
            "products": [product.pk],
            "roles": ["customer_manager"],
        },
    )
    article = Article.objects.get(title="Fund FAQ")
    assert response.status_code == 302 and article.category.name == "Funds" and article.tags == ["fund", "FAQ"]
    response = client.post(
        reverse("marketing:article_edit", args=[article.pk]), {"title": "", "kind": "faq", "language": "en", "body": ""}
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    client.post(
        reverse("marketing:article_edit", args=[article.pk]),
        {"title": "Fund FAQ", "kind": "faq", "language": "en", "body": "A pooled investment.", "note": "clearer"},
    )
    client.post(reverse("marketing:article_publish", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == "draft"  # waits for the checker
    request = services.waiting_publication(article)
    approvals.approve(request.pk, checker_of(org))
    article.refresh_from_db()
    assert article.status == "published" and article.version == 2
    client.post(reverse("marketing:article_restore", args=[article.pk, 1]))
    article.refresh_from_db()
    assert article.body == "A pooled investment." and article.version == 2  # readers keep the approved text
    page = client.get(reverse("marketing:article", args=[article.pk])).content.decode()
    assert "article-draft" in page and "What is a fund?" in page
    client.post(reverse("marketing:article_publish", args=[article.pk]))
    approvals.approve(services.waiting_publication(article).pk, checker_of(org))
    article.refresh_from_db()
    assert article.body == "What is a fund?" and article.version == 3
    client.force_login(org.manager)
    client.post(reverse("marketing:article_helpful", args=[article.pk]), {"helpful": "yes"})
    article.refresh_from_db()
    assert article.helpful_yes == 1


def test_the_knowledge_pages_in_chinese_show_no_english(org, untranslated, interface_words, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path)
    article = published(org, products=[make_product(org.bank_a, "TD-1Y")], tags=["存款"], body="向客户介绍一年期定期存款。")
    services.update_article(article.pk, org.marketing_manager, body="新的话术")  # a draft above the published text
    services.add_attachment(article.pk, org.marketing_manager, SimpleUploadedFile("指南.pdf", b"%PDF-1.4 x"))
    Staff.objects.filter(pk=org.marketing_manager.pk).update(language="zh-hans")
    client = Client()
    client.force_login(Staff.objects.get(pk=org.marketing_manager.pk))
    client.cookies["django_language"] = "zh-hans"
    problems = {}
    for url in (
        reverse("marketing:articles"),
        reverse("marketing:articles") + "?q=定期",
        reverse("marketing:article", args=[article.pk]),
        reverse("marketing:article_edit", args=[article.pk]),
        reverse("marketing:article_create"),
    ):
        untranslated.clear()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        found = findings(response.content.decode(), interface_words)
        found |= {f"untranslated {message!r}" for message in untranslated - ALLOWED}
        if found:
            problems[url] = sorted(found)
    assert not problems, "\n".join(f"{url}: {', '.join(items)}" for url, items in problems.items())


def test_the_product_page_and_the_eligible_offers_link_the_articles(client, org):
    product = Product.objects.create(
        bank=org.bank_a,
        code="WM-KB",
        name_local="稳健理财",
        category="asset",
        product_type="wealth",
        currency="CNY",
        risk_level="R1",
    )
    article = published(org, title="稳健理财产品指南", products=[product])
    customer = make_customer("C-KB-1", org.a_sh, org.manager, risk_level="R3")
    client.force_login(org.manager)
    section = client.get(reverse("marketing:products_eligible", args=[customer.number])).content.decode()
    assert reverse("marketing:article", args=[article.pk]) in section
    client.force_login(org.product_manager)
    page = client.get(reverse("marketing:catalog_product", args=[product.pk])).content.decode()
    assert "稳健理财产品指南" in page


def test_the_navigation_lists_the_knowledge_base_for_every_bank_role(org):
    for role, user in org.role_users.items():
        names = [item["entry"].url_name for item in navigation.entries_for(user)]
        assert "marketing:articles" in names, role
