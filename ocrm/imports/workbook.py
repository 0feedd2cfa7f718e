"""The empty workbook people fill in: the header row (English keys) on the first sheet, its
columns formatted as text (codes such as 001 stay text), and a second sheet describing every
column. Written by the exporter's one XLSX writer, so it goes through the same guard."""

from django.utils.translation import gettext as _

from ocrm.lists.exports import XlsxWriter


def template_xlsx(spec, sheet_title):
    """An empty workbook for `spec` (an ocrm.imports.specs.Spec): (file, size)."""
    writer = XlsxWriter()
    keys = [column.key for column in spec.columns]
    writer.add_sheet(sheet_title, keys, widths=[max(14, len(key) + 4) for key in keys], text_columns=len(keys))
    notes = writer.add_sheet(_("columns"), [_("Column"), _("Chinese name"), _("Required"), _("Format")])
    for column in spec.columns:
        notes.append([column.key, column.label_zh, _("yes") if column.required else _("no"), str(column.help)])
    notes.blank()
    notes.append([_("Key"), str(spec.natural_key_help)])
    notes.append([_("Empty cells"), _("An empty cell leaves the current value unchanged; new rows get the default.")])
    return writer.save()
