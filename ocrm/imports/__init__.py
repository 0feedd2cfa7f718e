"""The upload pipeline: a spreadsheet file -> a stored upload -> checked rows -> a preview -> apply.

Every file people upload for the system to read goes through here, with one set of limits:
upload size (parameter import.max_upload_bytes), data rows (import.max_rows), zip-bomb checks
of XLSX (settings IMPORT_MAX_UNCOMPRESSED_BYTES / IMPORT_MAX_COMPRESSION_RATIO), type sniffing
from the content (never the extension), encodings (UTF-8 with or without BOM, GB18030), one
reader of CSV and XLSX with Chinese or English column names, one clean_cell.

    readers.py   the file -> rows of text cells (SheetFile, read_table), or FileRejected
    specs.py     a row -> a checked row: Column, Spec, RowState, CellError, cell parsers
    models.py    StagedBatch and StagedRow, the abstract staging tables
    staging.py   stage_file, recheck, mark_applied, error reports, queueing an apply on a worker
    views.py     the upload page, the batch page, the apply action, the downloads
    workbook.py  the empty template workbook of a spec
    templates/ocrm/imports/  batch_detail.html and upload.html, which an area's templates extend

Users: organisation import (sysadmin/imports), customer batch maintenance
(customers/maintenance), and source-system feeds (customers/ecif/feeds: the readers, limits
and error reports; their rows go set-based through COPY, not through StagedRow).

Adding a user (say, marketing's target lists)
----------------------------------------------
1. A Spec (marketing/targets/specs.py): its columns and the row checks.

       class TargetSpec(Spec):
           kind = "targets"
           title = gettext_lazy("Campaign targets")
           natural_key_help = gettext_lazy("customer_number: each customer once per list")
           columns = (Column("customer_number", "客户号", gettext_lazy("customer number"), text(64), True),)

           def check(self, bank, rows, actor):
               flag_duplicates(rows, "customer_number", lambda r: r.values.get("customer_number"), _("Customer"))
               for row in rows:           # look up what the rows name, add errors, plan each row
                   ...
                   self.plan(row, current, target)   # -> row.action, row.changes

   check_columns(columns) may refuse a file by its columns (raise readers.FileRejected).

2. Two models (marketing/targets/models.py), then makemigrations:

       class TargetList(StagedBatch):
           upload_folder = "target-lists"
           campaign = models.ForeignKey("marketing.Campaign", ...)
           objects = TargetListQuerySet.as_manager()      # a ScopedQuerySet: who sees a list
           class Meta(StagedBatch.Meta):
               indexes = [models.Index(fields=["bank", "-created_at"], name="targetlist_bank_time")]

       class TargetRow(StagedRow):
           batch = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="rows")
           customer_number = models.CharField(max_length=64, blank=True)
           class Meta(StagedRow.Meta):
               constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="targetrow_unique_number")]

           @classmethod
           def state_fields(cls, state):
               return {"customer_number": state.values.get("customer_number", "")}

   Override count_rows()/audit_summary() to add the list's own counts, apply_run() when a
   worker applies it (staging.queue_apply_run, staging.RunProgress).

3. Services: stage with the kernel, apply in one transaction.

       def stage_file(campaign, uploaded_file, actor):
           batch = TargetList(bank=actor.bank, uploaded_by=actor, campaign=campaign)
           return staging.stage_file(batch, uploaded_file, TargetSpec(), actor)

       def apply_batch(batch, actor):
           with transaction.atomic():
               locked = TargetList.objects.select_for_update().get(pk=batch.pk)
               states = staging.recheck(locked, TargetSpec(), actor)
               ...write the valid rows whose action is create/update...
               staging.mark_applied(locked, actor)

4. A few lines of views and urls, on ocrm.imports.views:

       class TargetPage:
           model, permission_required, prefix = TargetList, "marketing.upload_targets", "targets"
           list_url, list_title, detail_url = "marketing:target_lists", gettext_lazy("Target lists"), "marketing:target_list"

       class TargetUploadView(TargetPage, UploadView):        # form_class, stage(form)
       class TargetListDetailView(TargetPage, StagedBatchDetailView):   # apply_url, report_urls, spec_of(), counts()
       class TargetApplyView(TargetPage, ApplyView):          # apply(), applied_message()
       class TargetErrorsView(TargetPage, ErrorReportView):   # rows() = staging.error_report_rows, filename()

   The templates extend ocrm/imports/upload.html and ocrm/imports/batch_detail.html and fill
   their blocks (the apply button's label, the summary lines, the column tables through
   ocrm/imports/_columns.html). Add the URLs to tests/test_permission_sweep.py's ROUTE_PARAMS.

Every file the pipeline writes for Excel (error reports, templates) goes through the
exporter's one XLSX/CSV writer and its formula guard (ocrm.lists.exports).
"""
