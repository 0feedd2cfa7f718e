"""What an audit entry shows a person: translated object types, event and action names, field
labels and values, never an internal identifier ("customers.customer #116", "customer.update",
`fields: ["contact_points"]`). The stored entry keeps its codes (they are what filters and
exports match on); only the pages and the export's readable columns go through here."""

import json

from django.apps import apps
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ocrm.approvals import services as approvals

EVENT_LABELS = {
    "received": _("file received"),
    "loaded": _("file loaded"),
    "started": _("started"),
    "finished": _("finished"),
    "download": _("downloaded"),
    "roles": _("roles changed"),
    "customer_created": _("customer created"),
    "customer_updated": _("customer updated"),
    "customer.merge": _("customers merged"),
    "customer.unmerge": _("merge undone"),
    "customers_reassigned": _("customers reassigned"),
    "book_handed_over": _("book of customers handed over"),
    "attribution_applied": _("attribution rules applied"),
    "matching.resolve": _("match resolved"),
    "match.different": _("marked as different customers"),
    "lifecycle_run": _("lifecycle run"),
    "export_cancelled": _("export cancelled"),
    "ended_share_grants_removed": _("ended shares' access removed"),
    "document_viewed": _("document viewed"),
    "pii_revealed": _("personal data revealed"),
    "pii_reveals_alert": _("auditors alerted: many reveals in a day"),
    "change_requested": _("change requested"),
    "change_request_cancelled": _("change request withdrawn"),
}

DETAIL_LABELS = {
    "event": _("event"),
    "action": _("request type"),
    "change_request": _("change request"),
    "object": _("object"),
    "page": _("page"),
    "fields": _("fields"),
    "query": _("filter"),
    "rows": _("rows"),
    "pii": _("personal data in clear"),
    "background": _("written in the background"),
    "export_file": _("export"),
    "file_format": _("file format"),
    "reason": _("reason"),
    "found": _("found"),
    "lookup": _("looked up by"),
    "value": _("value"),
    "contact_points": _("contact points"),
    "identity_documents": _("identity documents"),
    "addresses": _("addresses"),
    "holdings": _("accounts"),
    "birth_date": _("birth date"),
    "customer": _("customer"),
    "doc_type": _("document type"),
    "tag": _("tag"),
    "reveals_today": _("reveals today"),
    "limit": _("limit"),
    "unparsable_ip": _("address given (not an IP address)"),
}

PAGE_LABELS = {
    "contacts": _("contact points page"),
    "admin": _("administration"),
}


def model_of(object_type):
    try:
        return apps.get_model(object_type) if "." in (object_type or "") else None
    except (LookupError, ValueError):
        return None


def object_type_label(object_type):
    """customers.customer -> Customer (客户): the model's name in the reader's language."""
    model = model_of(object_type)
    return str(model._meta.verbose_name).capitalize() if model is not None else (object_type or "")


def object_label(entry):
    """The object as a person names it: its type and its own name or number (object_repr)."""
    parts = [object_type_label(entry.object_type), entry.object_repr]
    return " · ".join(part for part in parts if part)


def field_label(object_type, name):
    """A field's label in the model of `object_type` (attname or name), else a known detail key."""
    model = model_of(object_type)
    if model is not None:
        for field in model._meta.get_fields():
            if name not in (field.name, getattr(field, "attname", None)):
                continue
            if field.auto_created and not field.concrete and field.related_model is not None:
                return str(field.related_model._meta.verbose_name_plural)  # a reverse relation: its rows
            return str(getattr(field, "verbose_name", "") or field.name)
    return str(DETAIL_LABELS.get(name, name.replace("_", " ")))


def action_label(code):
    """A change request's action (customer.update) by its registered, translated name."""
    return str(approvals.label_for(code))


def event_label(code):
    return str(EVENT_LABELS.get(code, str(code).replace("_", " ").replace(".", " ")))


def entry_title(entry):
    """The action, and the event when the entry names one: "Other · change requested"."""
    event = (entry.detail or {}).get("event")
    action = entry.get_action_display()
    return f"{action} · {event_label(event)}" if event else str(action)


def detail_value(entry, key, value):
    """A detail value as a person reads it."""
    if key == "event":
        return event_label(value)
    if key == "action":
        return action_label(value)
    if key == "page":
        return str(PAGE_LABELS.get(value, value))
    if key == "fields" and isinstance(value, list):
        return ", ".join(field_label(entry.object_type, name) for name in value)
    if key == "object" and isinstance(value, str) and ":" in value:
        object_type, _sep, _pk = value.partition(":")
        return object_type_label(object_type)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    return "" if value is None else str(value)


def detail_rows(entry):
    """[(label, readable value)] of the entry's detail, the event first."""
    detail = entry.detail or {}
    keys = sorted(detail, key=lambda key: (key != "event", str(DETAIL_LABELS.get(key, key))))
    return [(str(DETAIL_LABELS.get(key, key.replace("_", " "))), detail_value(entry, key, detail[key])) for key in keys]
