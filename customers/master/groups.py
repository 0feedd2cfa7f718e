"""Tags and customer groups for many customers at once (the list page's bulk action).

Each action is one set-based statement (INSERT ... SELECT ... ON CONFLICT DO NOTHING):
tagging the whole result of a filter over a million customers must not load them into
Python. The selection is re-restricted to Customer.objects.visible_to(actor) and to the
tag's / group's bank here, whatever the caller passed, and audited once with the count
(customers.master.events). bulk_action() is what the list page's bulk form calls.
"""

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master import events
from customers.master.filtersets import filter_query_of
from customers.master.models import Customer, CustomerGroup, CustomerTag, Tag
from ocrm.audit import services as audit

TAG_NAME_MAX = Tag._meta.get_field("name").max_length


GROUP_NAME_MAX = CustomerGroup._meta.get_field("name").max_length


def _targets(actor, customers, bank_id):
    """The customers of `customers` that the actor may see, of the given bank, as a pk subquery."""
    return (
        Customer.objects.visible_to(actor).active().filter(bank_id=bank_id, pk__in=customers.values("pk")).order_by().values("pk")
    )


def _insert_select(table, columns, select_sql, params):
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _check_bank(actor):
    if actor.bank_id is None:
        raise PermissionDenied(_("Your user belongs to no bank."))


def clean_name(name, max_length, what):
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the %(what)s a name.") % {"what": what}})
    if len(name) > max_length:
        raise ValidationError({"name": _("The name is longer than %(n)d characters.") % {"n": max_length}})
    return name


@transaction.atomic
def add_to_tag(actor, customers, tag_name, *, selection=""):
    """Tag every customer of `customers` the actor may see with the tag called `tag_name`
    in the actor's bank, creating the tag if it is new. Returns (tag, customers newly tagged)."""
    _check_bank(actor)
    if not actor.has_perm("customers.add_customertag"):
        raise PermissionDenied(_("You may not tag customers."))
    name = clean_name(tag_name, TAG_NAME_MAX, _("tag"))
    tag = Tag.objects.filter(bank_id=actor.bank_id, name=name).first()
    if tag is None:
        if not actor.has_perm("customers.add_tag"):
            raise PermissionDenied(_("You may not create tags; choose an existing one."))
        with audit.acting_as(actor):
            tag = Tag.objects.create(bank_id=actor.bank_id, name=name)
    select_sql, params = _targets(actor, customers, tag.bank_id).query.sql_with_params()
    count = _insert_select(
        CustomerTag._meta.db_table,
        ["customer_id", "tag_id", "added_by_id", "added_at"],
        f"SELECT t.*, %s, %s, %s FROM ({select_sql}) t",
        [tag.pk, actor.pk, timezone.now(), *params],
    )
    events.customers_tagged(tag, actor, count, selection)
    return tag, count


@transaction.atomic
def add_to_group(actor, customers, group_id, *, selection=""):
    """Add every customer of `customers` the actor may see to the actor's own static group.
    Returns (group, customers newly added)."""
    _check_bank(actor)
    if not actor.has_perm("customers.change_customergroup"):
        raise PermissionDenied(_("You may not change customer groups."))
    group = CustomerGroup.objects.select_for_update().filter(pk=group_id, owner=actor).first()
    if group is None:
        raise ValidationError({"group": _("Choose one of your own groups.")})
    if group.kind != CustomerGroup.Kind.STATIC:
        raise ValidationError({"group": _("A dynamic group is defined by its filter; add customers to a static list.")})
    members = CustomerGroup.members.through
    select_sql, params = _targets(actor, customers, group.bank_id).query.sql_with_params()
    count = _insert_select(
        members._meta.db_table,
        ["customergroup_id", "customer_id"],
        f"SELECT %s, t.* FROM ({select_sql}) t",
        [group.pk, *params],
    )
    events.customers_grouped(group, actor, count, selection)
    return group, count


@transaction.atomic
def create_static_group(actor, name):
    _check_bank(actor)
    if not actor.has_perm("customers.add_customergroup"):
        raise PermissionDenied(_("You may not create customer groups."))
    name = clean_name(name, GROUP_NAME_MAX, _("group"))
    with audit.acting_as(actor):
        return CustomerGroup.objects.create(bank_id=actor.bank_id, owner=actor, name=name, kind=CustomerGroup.Kind.STATIC)


@transaction.atomic
def save_dynamic_group(actor, name, filter_query):
    """A dynamic group: the list filter saved as its query string, run again whenever used."""
    _check_bank(actor)
    if not actor.has_perm("customers.add_customergroup"):
        raise PermissionDenied(_("You may not create customer groups."))
    name = clean_name(name, GROUP_NAME_MAX, _("group"))
    query = filter_query_of(filter_query)
    if not query:
        raise ValidationError({"query": _("Filter the list first: a dynamic group without a filter would be every customer.")})
    named_group = QueryDict(query).get("group")
    if named_group and (
        not named_group.isdigit() or CustomerGroup.objects.filter(pk=named_group, kind=CustomerGroup.Kind.DYNAMIC).exists()
    ):
        raise ValidationError({"query": _("A dynamic group cannot be built on another dynamic group.")})
    with audit.acting_as(actor):
        return CustomerGroup.objects.create(
            bank_id=actor.bank_id, owner=actor, name=name, kind=CustomerGroup.Kind.DYNAMIC, filter_query=query
        )


@dataclasses.dataclass(frozen=True)
class BulkOutcome:
    action: str  # "tag", "group" or "dynamic"
    target: object  # the tag or the group
    count: int = 0  # customers newly tagged or added


@transaction.atomic
def bulk_action(
    actor, action, customers=None, *, selection="", query="", tag_name="", group_id=None, new_group_name="", dynamic_name=""
):
    """The list page's bulk action, all or nothing: tag `customers`, add them to one of the
    actor's static groups (a new one when `new_group_name` is given instead of `group_id`), or
    save the list's filter `query` as a dynamic group. Returns a BulkOutcome."""
    if action == "dynamic":
        return BulkOutcome(action, save_dynamic_group(actor, dynamic_name, query))
    if action == "tag":
        tag, count = add_to_tag(actor, customers, tag_name, selection=selection)
        return BulkOutcome(action, tag, count)
    if not group_id:
        if not new_group_name:
            raise ValidationError(_("Choose one of your groups or name a new one."))
        group_id = create_static_group(actor, new_group_name).pk
    group, count = add_to_group(actor, customers, group_id, selection=selection)
    return BulkOutcome("group", group, count)
