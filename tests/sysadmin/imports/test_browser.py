"""End to end in Chromium: an administrator uploads a bad branch file, sees every bad row
with its row number, column and reason, and applies only the valid row."""

import pytest

from sysadmin.imports.models import ImportBatch
from sysadmin.org.models import Branch
from tests.conftest import login

pytestmark = pytest.mark.browser

BAD_FILE = (
    "机构代码,机构名称,上级机构代码,国家/地区,时区\n"
    "A-HZ,杭州分行,A-CN,CN,Asia/Shanghai\n"
    "A-HZ-1,西湖支行,A-HZ,CN,Europe/Paris\n"
    "A-HZ-2,滨江支行,A-NOWHERE,CN,Asia/Shanghai\n"
).encode("gb18030")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_import_with_a_bad_file_shows_the_row_errors(page, org):
    org.admin.language = "en"
    org.admin.save(update_fields=["language"])
    branches_before = Branch.objects.count()
    login(page, "a.admin")
    page.wait_for_url("**/")

    page.goto("/sysadmin/imports/upload/")
    page.select_option("select[name=kind]", "branches")
    page.set_input_files("input[name=file]", files=[{"name": "杭州.csv", "mimeType": "text/csv", "buffer": BAD_FILE}])
    page.click("#import-upload-submit")

    page.wait_for_selector("#import-errors")
    assert "2 rows have errors and will not be applied" in page.inner_text("body")
    bad_rows = page.locator("#import-errors tr.import-error")
    assert bad_rows.count() == 2
    timezone_row = page.locator('#import-errors tr[data-row="3"][data-field="timezone"]')
    assert timezone_row.locator("td").nth(0).inner_text() == "3"
    assert "timezone" in timezone_row.locator("td").nth(1).inner_text()
    assert "Europe/Paris is not a time zone of CN" in timezone_row.inner_text()
    parent_row = page.locator('#import-errors tr[data-row="4"][data-field="parent_code"]')
    assert "Unknown parent branch code A-NOWHERE" in parent_row.inner_text()
    assert page.inner_text("#count-invalid") == "2"
    assert "A-HZ" in page.inner_text("#import-preview")
    assert Branch.objects.count() == branches_before  # uploading wrote nothing

    page.click("#import-apply")
    page.wait_for_selector("#count-created")
    assert page.inner_text("#count-created") == "1"
    assert page.inner_text("#import-status") == "Applied"
    assert page.locator("#import-apply").count() == 0
    assert Branch.objects.count() == branches_before + 1
    assert Branch.objects.get(code="A-HZ").name_local == "杭州分行"
    assert ImportBatch.objects.get().status == ImportBatch.Status.APPLIED
