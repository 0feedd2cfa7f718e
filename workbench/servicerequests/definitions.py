"""Request types as product managers define them on their page (not only in admin): the form's
fields, the required attachments, the confirmation channels and the processing steps, written as
short lines a person can read, checked with messages naming the part and the line.

A change goes through maker-checker like a product's parameters (marketing.products' versions,
approval `product.publish`): `submit` files an ocrm.approvals change request holding the whole new
definition; the type changes only when another product manager approves it in the approvals inbox
(`servicerequests.type_change`). A new type is created inactive (nothing is offered) and becomes
what was asked on approval. One pending change per type."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm import labels
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible, Refused
from workbench.servicerequests.models import ServiceRequestType

ACTION = "servicerequests.type_change"
MAINTAIN_PERM = "workbench.change_servicerequesttype"
CREATE_PERM = "workbench.add_servicerequesttype"
CHECKER_PERM = "workbench.approve_servicerequesttype"
FIELD_TYPES = ("text", "number", "decimal", "date", "time", "choice", "branch")
PII_KINDS = ("identity", "phone", "email", "account", "address", "text")
DEFINITION_FIELDS = ("name", "form_schema", "required_attachments", "channels", "steps", "active")
# Customer attributes a field may take its default from (the form pre-fills them).
DEFAULT_SOURCES = ("name_local", "name_latin", "number")


def types_visible_to(user):
    return ServiceRequestType.objects.visible_to(user)


# --- the lines a person writes ------------------------------------------------------------------


def fields_text(schema):
    lines = []
    for field in schema or []:
        options = []
        if field.get("required"):
            options.append("required")
        if field.get("min") not in (None, ""):
            options.append(f"min={field['min']}")
        if field.get("choices"):
            options.append("choices=" + ",".join(str(c) for c in field["choices"]))
        if field.get("default_from"):
            options.append(f"default={field['default_from']}")
        if field.get("pii"):
            options.append(f"pii={field['pii']}")
        lines.append(
            "; ".join([field["name"], field.get("label", ""), field.get("type", "text"), " ".join(options)]).rstrip("; ")
        )
    return "\n".join(lines)


def steps_text(steps):
    return "\n".join(f"{s.get('name', '')}; {s.get('role', '')}; {s.get('hours', '')}".rstrip("; ") for s in steps or [])


def _line_error(part, number, message):
    return _("%(part)s, line %(n)d: %(message)s") % {"part": part, "n": number, "message": message}


def _parse_field_options(field, options, problem):
    for option in options.split():
        key, _sep, value = option.partition("=")
        if key == "required" and not value:
            field["required"] = True
        elif key == "min" and value:
            try:
                float(value)
            except ValueError:
                problem(_("the minimum “%(v)s” is not a number.") % {"v": value})
            field["min"] = value
        elif key == "choices" and value:
            field["choices"] = [c.strip() for c in value.split(",") if c.strip()]
        elif key == "default" and value in DEFAULT_SOURCES:
            field["default_from"] = value
        elif key == "pii" and value in PII_KINDS:
            field["pii"] = value
        else:
            problem(_("the option “%(o)s” is unknown.") % {"o": option})


def parse_fields(text):
    """[field] from lines "name; label; type; options" (options: required, min=1, choices=A,B,
    default=name_local, pii=phone). A bad line is named by its number."""
    part = _("Form fields")
    fields, errors, names = [], [], set()
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        bits = [bit.strip() for bit in line.split(";")]
        bits += [""] * (4 - len(bits))
        name, label, kind, options = bits[0], bits[1], bits[2] or "text", " ".join(bits[3:])

        def problem(message, number=number):
            errors.append(_line_error(part, number, message))

        if not name.isidentifier() or not name.isascii():
            problem(_("the name “%(name)s” must be letters, digits and _ (no spaces).") % {"name": name})
        elif name in names:
            problem(_("the name “%(name)s” is used twice.") % {"name": name})
        names.add(name)
        if kind not in FIELD_TYPES:
            problem(_("the type “%(t)s” is unknown (%(known)s).") % {"t": kind, "known": ", ".join(FIELD_TYPES)})
        field = {"name": name, "label": label or name, "type": kind}
        _parse_field_options(field, options, problem)
        if kind == "choice" and not field.get("choices"):
            problem(_("a choice field needs choices=A,B."))
        fields.append(field)
    if not fields and not errors:
        errors.append(_("%(part)s: a request type needs at least one field.") % {"part": part})
    return fields, errors


def parse_steps(text):
    """[step] from lines "name; role; hours" (role: a bank role; hours: the time limit, optional)."""
    part = _("Processing steps")
    roles = dict(labels.ROLE_LABELS)
    steps, errors = [], []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        bits = [bit.strip() for bit in line.split(";")] + ["", ""]
        name, role, hours = bits[0], bits[1], bits[2]
        step = {"name": name, "role": role}
        if not name:
            errors.append(_line_error(part, number, _("the step needs a name.")))
        if role not in roles:
            errors.append(
                _line_error(part, number, _("the role “%(r)s” is unknown (%(known)s).") % {"r": role, "known": ", ".join(roles)})
            )
        if hours:
            if not hours.isdigit() or not 0 < int(hours) <= 24 * 30:
                errors.append(_line_error(part, number, _("the time limit must be whole hours from 1 to 720.")))
            else:
                step["hours"] = int(hours)
        steps.append(step)
    if not steps and not errors:
        errors.append(_("%(part)s: a request type needs at least one step.") % {"part": part})
    return steps, errors


def parse_attachments(text):
    kinds = [kind.strip() for kind in str(text or "").replace("\n", ",").split(",") if kind.strip()]
    bad = [kind for kind in kinds if not kind.replace("_", "").replace("-", "").isalnum()]
    if bad:
        return kinds, [_("Required attachments: “%(k)s” must be a short code (letters, digits, _).") % {"k": bad[0]}]
    return kinds, []


def definition_from(cleaned):
    """The definition a form's cleaned data describes, or ValidationError naming the parts."""
    fields, field_errors = parse_fields(cleaned.get("form_fields"))
    steps, step_errors = parse_steps(cleaned.get("steps"))
    attachments, attachment_errors = parse_attachments(cleaned.get("required_attachments"))
    errors = {}
    if field_errors:
        errors["form_fields"] = field_errors
    if step_errors:
        errors["steps"] = step_errors
    if attachment_errors:
        errors["required_attachments"] = attachment_errors
    if errors:
        raise ValidationError(errors)
    return {
        "name": cleaned["name"].strip(),
        "form_schema": fields,
        "required_attachments": attachments,
        "channels": list(cleaned.get("channels") or []),
        "steps": steps,
        "active": bool(cleaned.get("active")),
    }


# --- maker-checker --------------------------------------------------------------------------------


def _changes(row, definition):
    return {name: [getattr(row, name), definition[name]] for name in DEFINITION_FIELDS if getattr(row, name) != definition[name]}


@transaction.atomic
def create(actor, code, definition, reason=""):
    """A new type, inactive until another product manager approves its definition."""
    if not actor.has_perm(CREATE_PERM):
        raise PermissionDenied
    if ServiceRequestType.objects.filter(bank_id=actor.bank_id, code=code).exists():
        raise ValidationError({"code": _("The code %(code)s is already used by another type.") % {"code": code}})
    row = ServiceRequestType.objects.create(bank_id=actor.bank_id, code=code, name=definition["name"], active=False)
    return row, _submit(actor, row, definition, reason)


@transaction.atomic
def submit(actor, pk, definition, reason=""):
    """Ask for the type's definition to become `definition` (another product manager decides)."""
    if not actor.has_perm(MAINTAIN_PERM):
        raise PermissionDenied
    row = types_visible_to(actor).select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotVisible
    return _submit(actor, row, definition, reason)


def _submit(actor, row, definition, reason):
    if approvals.pending_for(row).exists():
        raise Refused(_("A change of this type is already waiting for approval."))
    changes = _changes(row, definition)
    if not changes:
        raise Refused(_("Nothing was changed."))
    return approvals.submit(
        action=ACTION,
        obj=row,
        changes=changes,
        maker=actor,
        bank_id=row.bank_id,
        payload={"type": row.pk, "definition": definition},
        reason=reason,
    )


def apply_change(change_request, checker):
    row = ServiceRequestType.objects.select_for_update().get(pk=change_request.payload["type"])
    definition = change_request.payload["definition"]
    for name in DEFINITION_FIELDS:
        setattr(row, name, definition[name])
    row.save()


def register_handlers():
    """Called from WorkbenchConfig.ready()."""
    approvals.register(
        ACTION,
        apply=apply_change,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Change a service request type"),
        field_labels={
            "form_schema": gettext_lazy("form fields"),
            "required_attachments": gettext_lazy("required attachments"),
            "channels": gettext_lazy("confirmation channels"),
            "steps": gettext_lazy("processing steps"),
        },
    )
