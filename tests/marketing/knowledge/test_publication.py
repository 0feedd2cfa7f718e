"""Knowledge base, issue 15: publication with a checker (ocrm.approvals), a published article's new
text reaching readers only once approved, attachments (type judged by the bytes, size capped by
the bank's parameter, readers only), and the nightly notice of expired and due articles to their
owner (once per article and date)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from marketing.knowledge import services, tasks
from marketing.knowledge.models import Article, ArticleAttachment
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.celery import app
from ocrm.errors import NotVisible
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.marketing.knowledge.test_knowledge import checker_of, published, write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_publication_waits_for_another_marketing_manager(org):
    article = write(org)
    request = services.request_publication(article.pk, org.marketing_manager, "ready")
    assert request.action == services.ACTION_PUBLISH and request.payload == {"version": 1}
    assert not Article.objects.visible_to(org.manager).exists()  # nothing reaches readers yet
    with pytest.raises(ValidationError):  # one request at a time
        services.request_publication(article.pk, org.marketing_manager)
    assert request in approvals.pending_for_checker(checker_of(org))
    assert request not in approvals.pending_for_checker(org.marketing_manager)  # not the maker's inbox
    approvals.approve(request.pk, checker_of(org))
    article.refresh_from_db()
    assert (article.status, article.published_version) == ("published", 1)
    assert list(Article.objects.visible_to(org.manager)) == [article]
    with pytest.raises(ValidationError):
        services.request_publication(article.pk, org.marketing_manager)  # already published


def test_a_rejected_publication_changes_nothing(org):
    article = write(org)
    request = services.request_publication(article.pk, org.marketing_manager)
    approvals.reject(request.pk, checker_of(org), "wrong rate")
    article.refresh_from_db()
    assert article.status == "draft" and article.published_version is None


def test_a_published_articles_new_text_reaches_readers_only_once_approved(org):
    article = published(org, title="一年期定期存款指南")
    services.update_article(article.pk, org.marketing_manager, body="利率调整后的新话术")
    reader_view = Article.objects.visible_to(org.manager).get(pk=article.pk)
    assert reader_view.version == 1 and reader_view.body.startswith("向客户介绍")
    assert not services.search(Article.objects.visible_to(org.manager), "利率调整").exists()  # the draft is not searchable
    assert services.latest_version(reader_view).number == 2
    approvals.approve(services.request_publication(article.pk, org.marketing_manager).pk, checker_of(org))
    article.refresh_from_db()
    assert (article.version, article.published_version, article.body) == (2, 2, "利率调整后的新话术")
    assert services.search(Article.objects.visible_to(org.manager), "利率调整").exists()


def test_a_newer_text_closes_the_request_for_the_older_one(org):
    article = published(org)
    services.update_article(article.pk, org.marketing_manager, body="第二版")
    request = services.request_publication(article.pk, org.marketing_manager)
    services.update_article(article.pk, org.marketing_manager, body="第三版")
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.CANCELLED
    again = services.request_publication(article.pk, org.marketing_manager)
    assert again.payload == {"version": 3}
    approvals.approve(again.pk, checker_of(org))
    article.refresh_from_db()
    assert article.body == "第三版" and list(article.versions.values_list("number", flat=True)) == [3, 2, 1]


def test_restore_on_a_published_article_waits_for_approval_too(org):
    article = published(org)
    services.update_article(article.pk, org.marketing_manager, body="第二版")
    approvals.approve(services.request_publication(article.pk, org.marketing_manager).pk, checker_of(org))
    restored = services.restore(article.pk, 1, org.marketing_manager)
    assert restored.restored_as == 3
    article.refresh_from_db()
    assert article.body == "第二版"  # readers keep version 2 until the restore is approved
    approvals.approve(services.request_publication(article.pk, org.marketing_manager).pk, checker_of(org))
    article.refresh_from_db()
    assert article.body.startswith("向客户介绍") and article.version == 3


# --- attachments ------------------------------------------------------------------------------------


def upload(name="guide.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_attachments_are_judged_by_their_bytes_and_capped_in_size(org):
    article = published(org)
    attachment = services.add_attachment(article.pk, org.marketing_manager, upload())
    assert (attachment.content_type, attachment.original_name, attachment.size) == ("application/pdf", "guide.pdf", len(PDF))
    assert "guide" not in attachment.file.name  # no title or name in storage
    with pytest.raises(ValidationError) as refused:
        services.add_attachment(article.pk, org.marketing_manager, upload("evil.pdf", b"<html><script>"))
    assert "file" in refused.value.message_dict
    parameters.set_value(services.MAX_ATTACHMENT_PARAM, 10, bank=org.bank_a)
    with pytest.raises(ValidationError) as refused:
        services.add_attachment(article.pk, org.marketing_manager, upload())
    assert "at most 10 bytes" in refused.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        services.add_attachment(article.pk, org.marketing_manager, upload(data=b""))
    assert ArticleAttachment.objects.count() == 1


def test_readers_open_attachments_others_get_404(client, org):
    article = published(org, roles=["customer_manager"])
    attachment = services.add_attachment(article.pk, org.marketing_manager, upload())
    url = reverse("marketing:article_attachment", args=[article.pk, attachment.pk])
    client.force_login(org.manager)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    for outsider in (org.teller, org.b_manager):  # not in the audience; another bank
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    with pytest.raises(NotVisible):
        services.open_attachment(article.pk, attachment.pk, org.b_manager)
    client.force_login(org.manager)
    assert client.post(reverse("marketing:article_attachment_add", args=[article.pk]), {"file": upload()}).status_code == 403


def test_attach_and_remove_through_the_page(client, org):
    article = write(org)
    client.force_login(org.marketing_manager)
    response = client.post(reverse("marketing:article_attachment_add", args=[article.pk]), {"file": upload()})
    assert response.status_code == 302
    attachment = ArticleAttachment.objects.get(article=article)
    page = client.get(reverse("marketing:article", args=[article.pk])).content.decode()
    assert "guide.pdf" in page
    add = reverse("marketing:article_attachment_add", args=[article.pk])
    response = client.post(add, {"file": upload("x.pdf", b"MZ")}, follow=True)
    assert "not a PDF, JPEG or PNG" in response.content.decode()
    client.post(reverse("marketing:article_attachment_remove", args=[article.pk, attachment.pk]))
    assert not ArticleAttachment.objects.exists()


# --- the nightly review notice ----------------------------------------------------------------------


def test_owners_hear_once_of_expired_and_due_articles(org):
    day = datetime.date(2026, 12, 1)
    expired = write(org, title="旧规定", valid_until=datetime.date(2026, 11, 30))
    due = write(org, title="待复核", review_on=day)
    write(org, title="fine", valid_until=datetime.date(2027, 6, 30), review_on=datetime.date(2027, 1, 1))
    gone = write(org, title="withdrawn", valid_until=datetime.date(2026, 1, 1))
    Article.objects.filter(pk=gone.pk).update(status=Article.Status.WITHDRAWN)
    run = tasks.knowledge_review.apply(kwargs={"bank_id": org.bank_a.pk, "business_date": day.isoformat()}).get()
    assert run is not None
    notes = Notification.objects.filter(recipient=org.marketing_manager, dedupe_key__startswith="knowledge:")
    assert sorted(n.title for n in notes) == ["Article due for review: 待复核", "Article expired: 旧规定"]
    assert {n.link for n in notes} == {reverse("marketing:article", args=[a.pk]) for a in (expired, due)}
    assert services.notify_due_owners(org.bank_a.pk, day) == 0  # a rerun sends nothing twice
    assert services.notify_due_owners(org.bank_a.pk, day + datetime.timedelta(days=1)) == 0  # nor the next night
    services.update_article(due.pk, org.marketing_manager, review_on=datetime.date(2026, 12, 2))
    assert services.notify_due_owners(org.bank_a.pk, datetime.date(2026, 12, 2)) == 1  # a new review date is heard of
    assert services.notify_due_owners(org.bank_b.pk, day) == 0  # each bank its own


def test_the_review_notice_is_scheduled_nightly_and_registered():
    scheduled = PeriodicTask.objects.select_related("crontab").get(task=tasks.knowledge_review.name)
    assert (scheduled.enabled, scheduled.crontab.minute, scheduled.crontab.hour) == (True, "40", "22")
    app.loader.import_default_modules()
    assert tasks.knowledge_review.name in app.tasks
