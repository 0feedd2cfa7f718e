"""The data-scope kernel (DESIGN §3): one mechanism that every view, export, API and
report uses to restrict rows to what a user may see.

A model's QuerySet subclasses ScopedQuerySet and names the fields that tie a row to a
bank, a branch and an owning user. `visible_to(user)` then applies, by the user's widest
scope permission:

* superuser                -> everything
* sysadmin.scope_bank      -> rows of the user's bank
* sysadmin.scope_subtree   -> rows of the user's branch and every branch below it
* sysadmin.scope_own       -> rows the user owns, plus rows granted to the user through
                              a django-guardian object permission (view_<model>)
* anything else            -> nothing (tellers look up by exact key instead)

Tenant isolation comes first in every case: a user never sees another bank's rows.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Lookup
from django.shortcuts import get_object_or_404
from guardian.models import GroupObjectPermission, UserObjectPermission

SCOPE_BANK = "sysadmin.scope_bank"
SCOPE_SUBTREE = "sysadmin.scope_subtree"
SCOPE_OWN = "sysadmin.scope_own"


def scope_of(user):
    """The widest scope the user holds: 'all', 'bank', 'subtree', 'own' or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return "all"
    if user.bank_id is None:
        return None
    if user.has_perm(SCOPE_BANK):
        return "bank"
    if user.has_perm(SCOPE_SUBTREE) and user.branch_id:
        return "subtree"
    if user.has_perm(SCOPE_OWN):
        return "own"
    return None


class AnyOf(Lookup):
    """`column = ANY(%s)` with the ids as one array parameter. `__in=[2,000 ids]` makes Django
    build, and psycopg adapt, one parameter per id: 70 ms of Python for a common name's page."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, [int(value) for value in self.rhs])


def subtree_branch_ids(user):
    """Ids of the user's branch and every branch below it, read once per user object (a request's)."""
    memo = user.__dict__
    if "_subtree_branch_ids" not in memo:
        branches = type(user.branch)._default_manager  # the org app's Branch (it imports the kernel)
        memo["_subtree_branch_ids"] = list(
            branches.filter(bank_id=user.bank_id, path__startswith=user.branch.path).order_by().values_list("id", flat=True)
        )
    return memo["_subtree_branch_ids"]


# ScopedQuerySet.granted_sql's compiled SQL by (queryset class, model, user id, content type id),
# cleared whole when it reaches this many entries (a few hundred bytes each).
GRANTED_SQL_KEPT = 20_000
_GRANTED_SQL = {}


class ScopedQuerySet(models.QuerySet):
    # Path from the model to its Bank ("bank" or e.g. "customer__bank"); required.
    scope_bank_field = "bank"
    # Path to the Branch whose subtree decides supervisor scope; "" = the model IS a Branch;
    # None = no branch (bank-wide rows are then visible to supervisors of that bank).
    scope_branch_field = None
    # Path to the owning Staff for 'own' scope; None = managers see nothing by ownership.
    scope_owner_field = None
    # Grant object permissions with guardian (view_<model>) to widen 'own' scope per row.
    scope_guardian_grants = True
    # Subtree scope as "branch id is one of the subtree's ids" (one query for the ids) instead of a
    # join to the branch's path: the ids are an index condition that PostgreSQL can AND with another
    # index's matches (a name search) before reading any row. For tables of millions of rows.
    scope_subtree_by_ids = False

    def _field(self, path, suffix):
        return f"{path}__{suffix}" if path else suffix

    def visible_to(self, user):
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None:
            return self.none()
        qs = self.filter(**{self._field(self.scope_bank_field, "id"): user.bank_id})
        if scope == "bank":
            return qs
        if scope == "subtree":
            if self.scope_branch_field is None:
                return qs
            if self.scope_subtree_by_ids and self.scope_branch_field:
                return qs.filter(AnyOf(F(f"{self.scope_branch_field}_id"), subtree_branch_ids(user)))
            return qs.filter(**{self._field(self.scope_branch_field, "path__startswith"): user.branch.path})
        # own
        condition = models.Q(pk__in=[])
        if self.scope_owner_field:
            condition |= models.Q(**{self.scope_owner_field: user})
        if self.scope_guardian_grants:
            sql, params = self.granted_sql(user)
            condition |= models.Q(pk__in=models.expressions.RawSQL(sql, params))
        return qs.filter(condition)

    def owned_part(self, user):
        """The rows of visible_to(user) that name the user as their owner, for a user whose scope is 'own'
        (None otherwise: a supervisor's own row may lie outside their subtree). The same rows without the
        subqueries of grants and shares, which take longer to plan than a look-up by key takes to run."""
        if scope_of(user) != "own" or not self.scope_owner_field:
            return None
        return self.filter(**{self._field(self.scope_bank_field, "id"): user.bank_id, self.scope_owner_field: user})

    def granted_sql(self, user):
        """(sql, params): the ids of rows granted to the user (_granted_ids, both subqueries as one
        UNION ALL), compiled once per user and content type for the life of the process. Building and
        compiling the guardian subqueries was about 10k Python calls per visible_to (a third of a
        home page; 1.3 ms of each 360 page, whose user object is new on every request, issue 19).
        The SQL names only the user, the content type and the permission's codename: groups, grants
        and shares are read when it runs, and shares compare with the database's now(), so it
        stays true."""
        content_type = ContentType.objects.get_for_model(self.model)  # new ids after a test's flush: a new key
        key = (type(self), self.model._meta.label, user.pk, content_type.pk)
        found = _GRANTED_SQL.get(key)
        if found is None:
            parts, params = [], []
            for granted in self._granted_ids(user):
                sql, part_params = granted.query.sql_with_params()
                parts.append(sql)
                params.extend(part_params)
            found = (" UNION ALL ".join(f"({part})" for part in parts), tuple(params))
            if len(_GRANTED_SQL) >= GRANTED_SQL_KEPT:
                _GRANTED_SQL.clear()
            _GRANTED_SQL[key] = found
        return found

    def _granted_ids(self, user):
        """Ids of rows granted to the user (directly or via a group) with guardian."""
        ct = ContentType.objects.get_for_model(self.model)
        codename = f"view_{self.model._meta.model_name}"
        pk_field = self.model._meta.pk
        cast = models.functions.Cast("object_pk", pk_field.target_field if pk_field.is_relation else pk_field)
        by_user = (
            UserObjectPermission.objects.filter(user=user, content_type=ct, permission__codename=codename)
            .annotate(obj_id=cast)
            .values("obj_id")
        )
        by_group = (
            GroupObjectPermission.objects.filter(group__in=user.groups.all(), content_type=ct, permission__codename=codename)
            .annotate(obj_id=cast)
            .values("obj_id")
        )
        return by_user, by_group

    def scope_rule(self, user):
        """The user's scope over this model as a ScopeRule, worked out once per user object (a
        request's user: like Django's permission cache, it lives as long as the request)."""
        memo = user.__dict__.setdefault("_scope_rules", {}) if user is not None else {}
        key = (type(self), self.model._meta.label)
        if key not in memo:
            memo[key] = ScopeRule(self, user)
        return memo[key]

    def get_visible_or_404(self, user, **lookup):

        return get_object_or_404(self.visible_to(user), **lookup)


class ScopeRule:
    """visible_to(user) decided in Python for rows already read, for a page that shows rows next to
    others it may only name when they are in scope (a customer's relations, its household).

    Annotating each row with Exists(visible_to(user)) builds and compiles the whole scope (with
    its guardian sub-queries) once per query; here it is worked out once per request, and a row
    needs at most one column more: its branch path (subtree scope) or whether a grant names it
    (own scope, `annotations`). `visible(obj, row)` then gives the same answer as visible_to."""

    def __init__(self, queryset, user):
        if "__" in queryset.scope_bank_field or "__" in (queryset.scope_owner_field or ""):
            raise ValueError("ScopeRule reads the bank and the owner on the row itself")
        self.user, self.scope = user, scope_of(user)
        self.bank_field, self.branch_field = queryset.scope_bank_field, queryset.scope_branch_field
        self.owner_field = queryset.scope_owner_field
        self.granted_sql = None
        if self.scope == "subtree":
            self.branch_path = user.branch.path
        if self.scope == "own" and queryset.scope_guardian_grants:
            self.granted_sql = queryset.granted_sql(user)

    def annotations(self, prefix, name, pk_column):
        """What `visible` needs of a row reached through `prefix` ("" for the row itself, else e.g.
        "to_customer"), as annotations named `<name>_…`. `pk_column`: the SQL of the row's key in
        the outer query (e.g. '"customers_relationship"."to_customer_id"')."""
        if self.scope == "subtree" and self.branch_field is not None:
            path = "__".join(part for part in (prefix, self.branch_field, "path") if part)
            return {f"{name}_branch_path": models.F(path)}
        if self.granted_sql is not None:
            sql, params = self.granted_sql
            return {f"{name}_granted": models.expressions.RawSQL(f"{pk_column} IN ({sql})", params, models.BooleanField())}
        return {}

    def visible(self, obj, row, name):
        """Is `obj` (a row of the scoped model, `row` the annotated row it came with) visible to the user?"""
        if self.scope == "all":
            return True
        if self.scope is None or obj is None:
            return False
        if getattr(obj, f"{self.bank_field}_id", None) != self.user.bank_id:
            return False
        if self.scope == "bank":
            return True
        if self.scope == "subtree":
            if self.branch_field is None:
                return True
            path = getattr(row, f"{name}_branch_path", None)
            return path is not None and path.startswith(self.branch_path)
        if self.owner_field and getattr(obj, f"{self.owner_field}_id", None) == self.user.pk:
            return True
        return bool(getattr(row, f"{name}_granted", False))
