"""Attachments on cross-border requests: either side of the request uploads (type read from the
bytes, size capped, the document one of the service's), nobody else sees them (404), every
download is audited in both banks, and the receiving side loses them when the sharing ends."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crossborder.agreements import services as agreements
from crossborder.requests import services
from crossborder.requests.models import CrossBorderRequest, RequestAttachment
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible, Refused
from tests.crossborder.test_requests import submit, xb  # noqa: F401
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def partner_request(xb):  # noqa: F811
    agreements.accept(xb.admin, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    return submit(xb, to_branch=xb.b_ldn)


def upload(name="passport.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_both_sides_upload_and_download_audited_in_both_banks(client, xb, partner_request):  # noqa: F811
    request = partner_request
    documents = request.service_type.required_documents
    mine = services.add_attachment(xb.manager, request.pk, upload(), document_kind=documents[0] if documents else "")
    theirs = services.add_attachment(xb.b_officer, request.pk, upload("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20))
    assert (mine.side, theirs.side) == ("requester", "receiver")
    assert theirs.content_type == "image/png" and mine.size == len(PDF)
    client.force_login(xb.b_officer)
    page = client.get(reverse("crossborder:request", args=[request.pk]))
    assert "passport.pdf" in page.content.decode() and "scan.png" in page.content.decode()
    response = client.get(reverse("crossborder:request_attachment", args=[request.pk, mine.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    views = AuditLog.objects.filter(detail__event="crossborder_attachment_view", detail__attachment=mine.pk)
    assert set(views.values_list("bank_id", flat=True)) == {xb.bank_a.pk, xb.bank_b.pk}
    # The page shows the upload in the log.
    assert request.events.filter(action="attachment_added").count() == 2


def test_outside_the_request_is_404(client, xb, partner_request):  # noqa: F811
    attachment = services.add_attachment(xb.manager, partner_request.pk, upload())
    stranger = make_staff("b.other", branch=xb.b_ho, roles=["customer_manager"])
    client.force_login(stranger)
    url = reverse("crossborder:request_attachment", args=[partner_request.pk, attachment.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("crossborder:request_attachment_add", args=[partner_request.pk]), {"file": upload()}).status_code
        == 404
    )
    # Another request's id with this attachment: 404 too.
    other = submit(xb)
    client.force_login(xb.manager)
    assert client.get(reverse("crossborder:request_attachment", args=[other.pk, attachment.pk])).status_code == 404
    # Suspension cuts the partner's access at once.
    agreement = agreements.visible_agreements(xb.admin).first()
    agreements.suspend(xb.admin, agreement.pk)
    client.force_login(xb.b_officer)
    assert client.get(url).status_code == 404


def test_bad_files_are_refused_with_a_message_and_nothing_written(client, xb, partner_request):  # noqa: F811
    pk = partner_request.pk
    with pytest.raises(ValidationError) as error:
        services.add_attachment(xb.manager, pk, upload("page.html", b"<html><script>x</script>"))
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.add_attachment(xb.manager, pk, upload("big.pdf", PDF + b"0" * services.MAX_ATTACHMENT_BYTES))
    with pytest.raises(ValidationError):
        services.add_attachment(xb.manager, pk, upload("empty.pdf", b""))
    with pytest.raises(ValidationError) as error:
        services.add_attachment(xb.manager, pk, upload(), document_kind="birth_certificate_of_the_cat")
    assert "document_kind" in error.value.message_dict
    client.force_login(xb.manager)
    response = client.post(
        reverse("crossborder:request_attachment_add", args=[pk]), {"file": upload("x.exe", b"MZ\x90\x00")}, follow=True
    )
    assert "Only PDF files and PNG, JPEG or GIF images are accepted." in response.content.decode()
    assert not RequestAttachment.objects.exists()


def test_closed_request_takes_none_and_the_receiver_loses_them_when_sharing_ends(xb, partner_request):  # noqa: F811
    pk = partner_request.pk
    attachment = services.add_attachment(xb.manager, pk, upload())
    services.transition(xb.manager, pk, CrossBorderRequest.Status.CANCELLED)
    with pytest.raises(Refused):
        services.add_attachment(xb.manager, pk, upload())
    assert services.open_attachment(xb.b_officer, pk, attachment.pk)[0] == attachment  # sharing days remain
    CrossBorderRequest.objects.filter(pk=pk).update(sharing_ends_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(NotVisible):
        services.open_attachment(xb.b_officer, pk, attachment.pk)
    assert services.open_attachment(xb.manager, pk, attachment.pk)[0] == attachment
