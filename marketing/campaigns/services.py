"""Campaigns: define, dry-run, approve and launch, record responses, detect conversions, evaluate.

    services.create_campaign(actor, **fields)       # a draft, inside the actor's subtree
    services.dry_run(campaign, actor)               # candidates -> contact policy -> holdout (set-based)
    services.submit(campaign, actor)                # waits for a marketing manager (ocrm.approvals)
    (approve)                                       # -> launch(): tasks, contacts, SMS in one transaction
    services.record_response(member, actor, response)
    services.detect_conversions(bank_id)            # nightly: holdings of the product opened in the window
    services.evaluation(campaign)                   # from CampaignStat, never from members

Every step is set-based SQL over the member table; nothing loads a campaign's customers into Python
except the conversions credited (one credit() each, idempotent on its source key)."""

import hashlib
import math
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.consent import policy
from customers.consent.models import ContactLog
from customers.master.filtersets import CustomerFilterSet, filter_query_of
from customers.master.models import Customer, CustomerGroup, Holding
from marketing.campaigns import events
from marketing.campaigns.models import Campaign, CampaignMember, CampaignStat
from marketing.credits import services as credits
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from ocrm.imports import readers
from ocrm.imports.specs import Column, Columns, text
from ocrm.outbox import services as outbox
from workbench.channelapi import offers
from workbench.todo import services as tasks
from workbench.todo.models import Task

ACTION_LAUNCH = "marketing.campaign_launch"
APPROVE_PERM = "marketing.approve_campaign"
EDIT_PERM = "marketing.change_campaign"
RESPOND_PERM = "marketing.respond_campaign"
ANALYZE_AFTER = 5000  # candidate rows written before the member table's statistics are refreshed
MIN_ARM = 30  # members per arm before an uplift is more than "inconclusive"
MEMBER = CampaignMember._meta.db_table
STAT = CampaignStat._meta.db_table


def new_seed():
    return secrets.token_hex(8)


def _check_owner_branch(actor, branch):
    if branch is None or branch.bank_id != actor.bank_id:
        raise ValidationError({"branch": _("Choose a branch of your bank.")})
    if not actor.is_superuser and not actor.has_perm("sysadmin.scope_bank") and not branch.path.startswith(actor.branch.path):
        raise ValidationError({"branch": _("Choose your own branch or one below it.")})


def _clean(campaign):
    if campaign.ends_on < campaign.starts_on:
        raise ValidationError({"ends_on": _("The campaign cannot end before it starts.")})
    if not campaign.channels:
        raise ValidationError({"channel_task": _("Choose at least one channel.")})
    if campaign.channel_sms and campaign.sms_template_id is None:
        raise ValidationError({"sms_template": _("Choose the SMS template.")})
    if campaign.holdout_percent > 50:
        raise ValidationError({"holdout_percent": _("Keep at most half of the customers as the control group.")})
    if campaign.group_id and campaign.group.bank_id != campaign.bank_id:
        raise ValidationError({"group": _("Choose a group of your bank.")})


FIELDS = (
    "name",
    "goal",
    "starts_on",
    "ends_on",
    "branch",
    "channel_task",
    "channel_sms",
    "channel_offer",
    "sms_template",
    "budget",
    "cost_per_contact",
    "group",
    "holdout_percent",
    "household_once",
    "exclude_campaign",
    "exclude_days",
)


@transaction.atomic
def create_campaign(actor, *, products=(), **values):
    if not actor.has_perm("marketing.add_campaign"):
        raise PermissionDenied(_("You may not design campaigns."))
    _check_owner_branch(actor, values.get("branch"))
    campaign = Campaign(bank_id=actor.bank_id, created_by=actor, seed=new_seed())
    for name in FIELDS:
        if name in values:
            setattr(campaign, name, values[name])
    _clean(campaign)
    campaign.save()
    campaign.products.set([p for p in products if p.bank_id == actor.bank_id])
    events.campaign_created(campaign, actor)
    return campaign


def locked(campaign_id, actor):
    found = Campaign.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if found is None:
        raise NotVisible
    return found


@transaction.atomic
def update_campaign(campaign, actor, *, products=None, **values):
    if not actor.has_perm(EDIT_PERM):
        raise PermissionDenied(_("You may not design campaigns."))
    campaign = locked(campaign.pk, actor)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."))
    if "branch" in values:
        _check_owner_branch(actor, values["branch"])
    for name in FIELDS:
        if name in values:
            setattr(campaign, name, values[name])
    _clean(campaign)
    campaign.dry_run_at = None  # a changed definition must be dry-run again before launch
    campaign.save()
    if products is not None:
        campaign.products.set([p for p in products if p.bank_id == campaign.bank_id])
    events.campaign_changed(campaign, actor)
    return campaign


class _ListRequest:
    """What the customer list's filterset needs of a request: the user whose scope it runs in."""

    def __init__(self, user):
        self.user = user


def candidates(campaign, owner):
    """The customers a campaign may reach: its group (static or saved filter) or uploaded list,
    inside the owner's scope and the campaign's branch subtree, active, of the bank."""
    qs = (
        Customer.objects.visible_to(owner)
        .active()
        .filter(bank_id=campaign.bank_id, branch__path__startswith=campaign.branch.path)
    )
    if campaign.group_id:
        group = campaign.group
        if group.kind == CustomerGroup.Kind.STATIC:
            qs = qs.filter(groups=group)
        else:
            filterset = CustomerFilterSet(
                QueryDict(filter_query_of(group.filter_query)), queryset=qs, request=_ListRequest(owner), nested=True
            )
            qs = filterset.qs if filterset.is_valid() else qs.none()
    elif campaign.uploaded_numbers:
        qs = qs.filter(number__in=campaign.uploaded_numbers.split())
    else:
        qs = qs.none()
    return qs.order_by().values("pk")


class TargetColumns(Columns):
    columns = (Column("customer_number", "客户号", gettext_lazy("customer number"), text(32), True),)


def upload_list(campaign, actor, content):
    """An uploaded XLSX/CSV list (the upload pipeline's reader and limits) -> upload_numbers()."""
    try:
        sheet = readers.SheetFile(content, TargetColumns(), max_bytes=readers.upload_limit(campaign.bank_id))
        rows = [(number, values) for number, values, _stray in sheet.rows()]
    except readers.FileRejected as error:
        raise ValidationError(str(error)) from error
    if len(rows) > readers.row_limit(campaign.bank_id):
        raise ValidationError(_("The file has more rows than one upload may hold."))
    return upload_numbers(campaign, actor, rows)


@transaction.atomic
def upload_numbers(campaign, actor, rows):
    """Customer numbers as (row number, {"customer_number": ...}) or plain dicts (rows 2, 3, ...):
    every bad row is named by row and field; nothing is kept unless all rows are good."""
    if not actor.has_perm(EDIT_PERM):
        raise PermissionDenied(_("You may not design campaigns."))
    campaign = locked(campaign.pk, actor)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."))
    rows = [row if isinstance(row, tuple) else (index, row) for index, row in enumerate(rows, start=2)]
    numbers = [(index, str(row.get("customer_number") or "").strip()) for index, row in rows]
    known = set(
        Customer.objects.visible_to(campaign.created_by)
        .filter(bank_id=campaign.bank_id, number__in=[n for _i, n in numbers if n])
        .values_list("number", flat=True)
    )
    errors, seen = [], set()
    for index, number in numbers:
        if not number:
            errors.append(_("Row %(row)d, customer number: empty.") % {"row": index})
        elif number not in known:
            errors.append(
                _("Row %(row)d, customer number: %(n)s is not a customer you may target.") % {"row": index, "n": number}
            )
        elif number in seen:
            errors.append(_("Row %(row)d, customer number: %(n)s is listed twice.") % {"row": index, "n": number})
        seen.add(number)
    if errors:
        raise ValidationError(errors)
    campaign.uploaded_numbers = "\n".join(sorted(seen))
    campaign.group = None
    campaign.dry_run_at = None
    campaign.save(update_fields=["uploaded_numbers", "group", "dry_run_at", "updated_at"])
    return len(seen)


def policy_context(campaign, now=None):
    return policy.Context(
        bank_id=campaign.bank_id,
        purpose="marketing",
        channels=campaign.channels,
        recent_sources=(campaign.exclude_campaign.source,) if campaign.exclude_campaign_id else (),
        recent_days=campaign.exclude_days,
        household_once=campaign.household_once,
        now=now,
    )


def holdout_sql(customer_id_sql):
    """The arm of a customer from a hash of the campaign's seed and the customer (positional
    params: seed, holdout percent): the same customers land in the same arm on every run."""
    return f"""CASE WHEN ((('x' || substr(md5(%s || ':' || {customer_id_sql}::text), 1, 8))::bit(32)::bigint
                        %% 10000) < %s * 100) THEN 'control' ELSE 'target' END"""


def arm_of(seed, customer_id, holdout_percent):
    """The same rule in Python (tests and the per-customer answer)."""
    bucket = int(hashlib.md5(f"{seed}:{customer_id}".encode()).hexdigest()[:8], 16) % 10000
    return CampaignMember.Arm.CONTROL if bucket < holdout_percent * 100 else CampaignMember.Arm.TARGET


@transaction.atomic
def dry_run(campaign, actor, now=None):
    """Who the campaign would reach and why the others are excluded: member rows for every
    candidate, the funnel kept on the campaign. Nothing is sent or created."""
    if not actor.has_perm(EDIT_PERM):
        raise PermissionDenied(_("You may not design campaigns."))
    campaign = locked(campaign.pk, actor)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be dry-run."))
    source_sql, source_params = candidates(campaign, campaign.created_by).query.sql_with_params()
    ctx = policy_context(campaign, now)
    ruled_sql, ruled_params = policy.candidates_sql(
        ctx, source_sql, source_params, columns=("branch_id", "primary_manager_id", "aum")
    )
    with connection.cursor() as cursor:
        # Compiling these few big statements costs seconds and saves less than it costs.
        cursor.execute("SET LOCAL jit = off")
        # The household window sorts every candidate: in memory rather than in temp files.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # A dry run is a preview that can be run again: its commit need not wait for the WAL
        # flush (a crash loses the whole transaction, never half of it).
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(f"DELETE FROM {MEMBER} WHERE campaign_id = %s", [campaign.pk])
        cursor.execute(f"DELETE FROM {STAT} WHERE campaign_id = %s", [campaign.pk])
        # One statement: each candidate is written with the contact policy's first excluding rule
        # (households included) and its arm (the arm counts only for rows the policy keeps); the
        # aggregates the evaluation reads and the funnel's counts come from the rows as they are
        # written, not from a second scan. At the dry run nobody has responded or converted and
        # the AUM change is 0 (aum_at_start is the AUM now): the aggregates are the member counts.
        cursor.execute(
            f"""WITH written AS (
                    INSERT INTO {MEMBER} (campaign_id, customer_id, branch_id, manager_id, excluded_by, arm,
                                          aum_at_start, response)
                    SELECT %s, r.customer_id, r.branch_id, r.primary_manager_id, r.excluded_by,
                           {holdout_sql("r.customer_id")}, r.aum, ''
                      FROM ({ruled_sql}) r
                    RETURNING branch_id, manager_id, arm, excluded_by),
                stats AS (
                    INSERT INTO {STAT} (campaign_id, branch_id, manager_id, arm, members, contacted, interested,
                                        declined, converted, aum_delta_sum, aum_delta_sumsq, refreshed_at)
                    SELECT %s, w.branch_id, w.manager_id, w.arm, count(*), 0, 0, 0, 0, 0, 0, now()
                      FROM written w WHERE w.excluded_by = '' GROUP BY 2, 3, 4)
                SELECT excluded_by, count(*) FROM written GROUP BY 1""",
            [campaign.pk, campaign.seed, campaign.holdout_percent, *ruled_params, campaign.pk],
        )
        counts = dict(cursor.fetchall())
        if sum(counts.values()) > ANALYZE_AFTER:
            # The planner must know the table grew: the launch and the pages read it.
            cursor.execute(f"ANALYZE {MEMBER}")
    funnel = policy.funnel_from_counts(counts, ctx)
    campaign.funnel = [[code, str(label), count] for code, label, count in funnel]
    campaign.dry_run_at = timezone.now()
    campaign.save(update_fields=["funnel", "dry_run_at", "updated_at"])
    events.campaign_dry_run(campaign, actor, funnel[-1][2])
    return campaign


def funnel_rows(campaign):
    """(label, count, dropped) per step, labels in the reader's language."""
    rows, before = [], None
    for code, _label, count in campaign.funnel:
        label = _("Candidates") if code == "candidates" else policy.rule_label(code)
        rows.append({"code": code, "label": label, "count": count, "dropped": (before - count) if before is not None else 0})
        before = count
    return rows


def summary(campaign):
    """Targets, control, targets without a manager, and the cost (two grouped queries)."""
    counts = dict(
        CampaignMember.objects.filter(campaign=campaign, excluded_by="")
        .values("arm")
        .annotate(n=Count("id"))
        .values_list("arm", "n")
    )
    targets = counts.get(CampaignMember.Arm.TARGET, 0)
    no_manager = CampaignMember.objects.filter(
        campaign=campaign, excluded_by="", arm=CampaignMember.Arm.TARGET, manager__isnull=True
    ).count()
    cost = campaign.cost_per_contact * targets
    return {
        "targets": targets,
        "control": counts.get(CampaignMember.Arm.CONTROL, 0),
        "no_manager": no_manager,
        "cost": cost,
        "over_budget": bool(campaign.budget) and cost > campaign.budget,
    }


def manager_load(campaign, limit=200):
    return list(
        CampaignMember.objects.filter(campaign=campaign, excluded_by="", arm=CampaignMember.Arm.TARGET)
        .values("manager__username", "manager__first_name", "manager__last_name", "branch__name_local")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )


@transaction.atomic
def submit(campaign, actor, reason=""):
    """Ask a marketing manager to approve the launch (a double submit makes one request)."""
    if not actor.has_perm(EDIT_PERM):
        raise PermissionDenied(_("You may not design campaigns."))
    campaign = locked(campaign.pk, actor)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("This campaign is already waiting for approval or launched."))
    if campaign.dry_run_at is None:
        raise ValidationError(_("Run the dry run first: it shows whom the campaign reaches."))
    numbers = summary(campaign)
    campaign.change_request = approvals.submit(
        action=ACTION_LAUNCH,
        obj=campaign,
        maker=actor,
        bank_id=campaign.bank_id,
        branch_path=campaign.branch.path,
        reason=reason,
        payload={"campaign": campaign.pk},
        changes={"status": [campaign.status, Campaign.Status.LAUNCHED], "targets": [None, numbers["targets"]]},
    )
    campaign.status = Campaign.Status.PENDING
    campaign.save(update_fields=["status", "change_request", "updated_at"])
    events.campaign_submitted(campaign, actor)
    return campaign


def _pending_of(change_request):
    campaign = (
        Campaign.objects.select_for_update()
        .filter(pk=change_request.payload.get("campaign"), bank_id=change_request.bank_id)
        .first()
    )
    if campaign is None or campaign.status != Campaign.Status.PENDING:
        raise ValidationError(_("The campaign of this request is no longer waiting for approval."))
    return campaign


def launch(campaign, checker, now=None):
    """Targets' tasks, contacts and messages, set-based, inside the caller's transaction.
    Idempotent: tasks by source key, contacts by (customer, source, channel), SMS by dedupe key."""
    now = now or timezone.now()
    where, params = "t.campaign_id = %(campaign)s AND t.excluded_by = '' AND t.arm = 'target'", {"campaign": campaign.pk}
    targets = "t.campaign_id = %s AND t.excluded_by = '' AND t.arm = 'target'", [campaign.pk]
    created = 0
    with connection.cursor() as cursor:
        # Compiling these few big statements costs more than it saves (at a million targets too).
        cursor.execute("SET LOCAL jit = off")
    # A first launch: tasks and contacts of a launch are written together, so no contact of this
    # campaign means no task of it either (one index probe) and the inserts need no ON CONFLICT.
    first = campaign.launched_at is None and not ContactLog.objects.filter(source=campaign.source).exists()
    if campaign.channel_task:
        created = tasks.create_tasks_from_select(
            bank_id=campaign.bank_id,
            select_sql=f"""SELECT t.customer_id, t.manager_id, 'campaign:' || t.campaign_id || ':customer:' || t.customer_id
                             FROM {MEMBER} t WHERE {where} AND t.manager_id IS NOT NULL""",
            params=params,
            title=_("Campaign: %(name)s") % {"name": campaign.name},
            due_date=campaign.ends_on,
            source=Task.Source.CAMPAIGN,
            notes=campaign.goal,
            keys_are_new=first,
        )
    if campaign.channel_sms and campaign.sms_template_id:
        ids = CampaignMember.objects.filter(campaign=campaign, excluded_by="", arm=CampaignMember.Arm.TARGET).values_list(
            "customer_id", flat=True
        )
        outbox.send_many(
            campaign.sms_template, "customer", list(ids), context={"campaign": campaign.name}, dedupe_prefix=campaign.source
        )
    policy.log_contacts(
        MEMBER,
        *targets,
        bank_id=campaign.bank_id,
        channels=campaign.channels,
        source=campaign.source,
        at=now,
        source_is_new=first,
    )
    campaign.status = Campaign.Status.LAUNCHED
    campaign.launched_at = now
    campaign.launched_by = checker
    campaign.save(update_fields=["status", "launched_at", "launched_by", "updated_at"])
    events.campaign_launched(campaign, checker, created)
    return created


def apply_launch_request(change_request, checker):
    """The approvals handler (inside approvals.approve's transaction)."""
    campaign = _pending_of(change_request)
    launch(campaign, checker)


def reject_launch_request(change_request, checker):
    campaign = _pending_of(change_request)
    campaign.status = Campaign.Status.DRAFT
    campaign.save(update_fields=["status", "updated_at"])


def withdraw_launch_request(change_request, maker):
    with transaction.atomic():
        reject_launch_request(change_request, maker)
        return approvals.cancel(change_request.pk, maker, _("Withdrawn by the requester."))


def register_handlers():
    approvals.register(
        ACTION_LAUNCH,
        apply=apply_launch_request,
        checker_perm=APPROVE_PERM,
        label=gettext_lazy("Launch a campaign"),
        on_reject=reject_launch_request,
        field_labels={"status": gettext_lazy("status"), "targets": gettext_lazy("targets")},
        withdraw=withdraw_launch_request,
    )
    offers.register("campaigns", campaign_offers, order=10)


def campaign_offers(customer, channel_kind):
    """Active offer campaigns this customer is a target of (the channel API's "what to offer")."""
    today = timezone.localdate()
    rows = CampaignMember.objects.filter(
        customer=customer,
        excluded_by="",
        arm=CampaignMember.Arm.TARGET,
        campaign__channel_offer=True,
        campaign__status=Campaign.Status.LAUNCHED,
        campaign__starts_on__lte=today,
        campaign__ends_on__gte=today,
    ).select_related("campaign")
    return [
        offers.Offer(kind="campaign", reference=m.campaign.source, title=m.campaign.name, reasons=(m.campaign.goal[:100],))
        for m in rows
    ]


# --- responses, conversions and aggregates ------------------------------------------------

_COUNTED = {"contacted", "interested", "declined"}


def member_for(actor, member_id):
    """A launched target the actor may respond for: their own customers (scope), else NotVisible."""
    member = (
        CampaignMember.objects.visible_to(actor)
        .select_related("campaign", "customer")
        .filter(pk=member_id, campaign__status=Campaign.Status.LAUNCHED, arm=CampaignMember.Arm.TARGET, excluded_by="")
        .first()
    )
    if member is None:
        raise NotVisible
    return member


def _bump(member, column, delta):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {STAT} SET {column} = {column} + %s WHERE campaign_id = %s AND branch_id = %s
                   AND manager_id IS NOT DISTINCT FROM %s AND arm = %s""",
            [delta, member.campaign_id, member.branch_id, member.manager_id, member.arm],
        )


@transaction.atomic
def record_response(member, actor, response, now=None):
    """A manager's answer for a target: contacted / interested / declined / converted."""
    if not actor.has_perm(RESPOND_PERM):
        raise PermissionDenied(_("You may not record campaign responses."))
    if response not in CampaignMember.Response.values or not response:
        raise ValidationError({"response": _("Choose a response.")})
    member = CampaignMember.objects.select_for_update().get(pk=member_for(actor, member.pk).pk)
    before = member.response
    if before in _COUNTED:
        _bump(member, before, -1)
    if response in _COUNTED:
        _bump(member, response, 1)
    member.response = response
    member.responded_at = now or timezone.now()
    fields = ["response", "responded_at"]
    if response == CampaignMember.Response.CONVERTED and member.converted_at is None:
        member.converted_at = member.responded_at
        fields.append("converted_at")
        _bump(member, "converted", 1)
        _credit(member, actor)
    member.save(update_fields=fields)
    events.response_recorded(member, actor, before)
    return member


def _credit(member, actor=None):
    if member.manager_id is None or member.arm != CampaignMember.Arm.TARGET:
        return None
    product = member.campaign.products.first()
    return credits.credit(
        customer=member.customer,
        manager=member.manager,
        source_key=f"campaign:{member.campaign_id}:customer:{member.customer_id}",
        credited_at=member.converted_at,
        product=product,
        actor=actor,
    )


def detect_conversions(bank_id, now=None):
    """Nightly: a member (target or control) whose holdings show one of the campaign's products
    opened between the launch and the end of the campaign converted; targets are credited to
    their manager. Returns how many members converted this run."""
    now = now or timezone.now()
    holding = Holding._meta.db_table
    product_link = Campaign.products.through._meta.db_table
    campaigns = list(Campaign.objects.filter(bank_id=bank_id, status=Campaign.Status.LAUNCHED, launched_at__isnull=False))
    total = 0
    for campaign in campaigns:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""UPDATE {MEMBER} t SET converted_at = %(now)s
                          FROM (SELECT DISTINCT h.customer_id FROM {holding} h
                                  JOIN {product_link} p ON p.product_id = h.product_id AND p.campaign_id = %(campaign)s
                                 WHERE h.bank_id = %(bank)s AND h.open_date >= %(start)s AND h.open_date <= %(end)s) opened
                         WHERE t.campaign_id = %(campaign)s AND t.excluded_by = '' AND t.converted_at IS NULL
                           AND t.customer_id = opened.customer_id
                     RETURNING t.id""",
                    {
                        "now": now,
                        "campaign": campaign.pk,
                        "bank": bank_id,
                        "start": timezone.localdate(campaign.launched_at),
                        "end": campaign.ends_on,
                    },
                )
                converted = [row[0] for row in cursor.fetchall()]
            for member in CampaignMember.objects.filter(pk__in=converted, arm=CampaignMember.Arm.TARGET).select_related(
                "campaign", "customer", "manager"
            ):
                _credit(member)
            refresh_stats(campaign)
        total += len(converted)
    return total


def refresh_stats(campaign):
    """Rebuild the campaign's aggregates in one statement (launch and the nightly run)."""
    customer = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STAT} WHERE campaign_id = %s", [campaign.pk])
        cursor.execute(
            f"""INSERT INTO {STAT} (campaign_id, branch_id, manager_id, arm, members, contacted, interested, declined,
                                    converted, aum_delta_sum, aum_delta_sumsq, refreshed_at)
                SELECT t.campaign_id, t.branch_id, t.manager_id, t.arm, count(*),
                       count(*) FILTER (WHERE t.response = 'contacted'),
                       count(*) FILTER (WHERE t.response = 'interested'),
                       count(*) FILTER (WHERE t.response = 'declined'),
                       count(*) FILTER (WHERE t.converted_at IS NOT NULL),
                       coalesce(sum(c.aum - t.aum_at_start), 0),
                       coalesce(sum(((c.aum - t.aum_at_start)::float8) ^ 2), 0), now()
                  FROM {MEMBER} t JOIN {customer} c ON c.id = t.customer_id
                 WHERE t.campaign_id = %s AND t.excluded_by = ''
                 GROUP BY 1, 2, 3, 4""",
            [campaign.pk],
        )


def _arm_totals(rows):
    totals = {}
    for row in rows:
        arm = totals.setdefault(row["arm"], {"members": 0, "responded": 0, "converted": 0, "sum": 0.0, "sumsq": 0.0})
        arm["members"] += row["members"]
        arm["responded"] += row["contacted"] + row["interested"] + row["declined"]
        arm["converted"] += row["converted"]
        arm["sum"] += float(row["aum_delta_sum"])
        arm["sumsq"] += row["aum_delta_sumsq"]
    return totals


def _rate(part, whole):
    return part / whole if whole else 0.0


def uplift(target, control, z=1.96):
    """Conversion-rate and mean-AUM-change differences (target - control) with a 95% interval;
    "inconclusive" until both arms have MIN_ARM members and the interval excludes zero."""
    empty = {"members": 0, "converted": 0, "sum": 0.0, "sumsq": 0.0, "responded": 0}
    target, control = target or empty, control or empty
    n1, n2 = target["members"], control["members"]
    result = {"enough": n1 >= MIN_ARM and n2 >= MIN_ARM}
    p1, p2 = _rate(target["converted"], n1), _rate(control["converted"], n2)
    se = math.sqrt((p1 * (1 - p1) / n1 if n1 else 0) + (p2 * (1 - p2) / n2 if n2 else 0))
    result["conversion"] = {"diff": p1 - p2, "low": p1 - p2 - z * se, "high": p1 - p2 + z * se}

    def mean_var(arm, n):
        if n < 2:
            return (arm["sum"] / n if n else 0.0), 0.0
        mean = arm["sum"] / n
        return mean, max(arm["sumsq"] / n - mean * mean, 0.0) * n / (n - 1)

    m1, v1 = mean_var(target, n1)
    m2, v2 = mean_var(control, n2)
    se_aum = math.sqrt((v1 / n1 if n1 else 0) + (v2 / n2 if n2 else 0))
    result["aum"] = {"diff": m1 - m2, "low": m1 - m2 - z * se_aum, "high": m1 - m2 + z * se_aum}
    for key in ("conversion", "aum"):
        figure = result[key]
        figure["conclusive"] = result["enough"] and (figure["low"] > 0 or figure["high"] < 0)
    return result


def evaluation(campaign):
    """Everything the evaluation page shows, from CampaignStat only (two queries)."""
    rows = list(
        CampaignStat.objects.filter(campaign=campaign).values(
            "arm",
            "branch__name_local",
            "branch__name_en",
            "manager__username",
            "manager__first_name",
            "manager__last_name",
            "members",
            "contacted",
            "interested",
            "declined",
            "converted",
            "aum_delta_sum",
            "aum_delta_sumsq",
        )
    )
    totals = _arm_totals(rows)
    target = totals.get(CampaignMember.Arm.TARGET)
    control = totals.get(CampaignMember.Arm.CONTROL)
    target_members = target["members"] if target else 0
    target_converted = target["converted"] if target else 0
    cost = campaign.cost_per_contact * target_members
    by_branch, by_manager = {}, {}
    for row in rows:
        if row["arm"] != CampaignMember.Arm.TARGET:
            continue
        for key, bucket in ((row["branch__name_local"], by_branch), (_person(row), by_manager)):
            entry = bucket.setdefault(key, {"name": key, "members": 0, "responded": 0, "converted": 0})
            entry["members"] += row["members"]
            entry["responded"] += row["contacted"] + row["interested"] + row["declined"]
            entry["converted"] += row["converted"]
    for bucket in (by_branch, by_manager):
        for entry in bucket.values():
            entry["response_rate"] = _rate(entry["responded"], entry["members"])
            entry["conversion_rate"] = _rate(entry["converted"], entry["members"])
    return {
        "target": target or {"members": 0, "responded": 0, "converted": 0},
        "control": control or {"members": 0, "responded": 0, "converted": 0},
        "response_rate": _rate(target["responded"], target_members) if target else 0.0,
        "conversion_rate": _rate(target_converted, target_members),
        "control_conversion_rate": _rate(control["converted"], control["members"]) if control else 0.0,
        "uplift": uplift(target, control),
        "cost": cost,
        "cost_per_conversion": (cost / target_converted).quantize(Decimal("0.01")) if target_converted else None,
        "by_branch": sorted(by_branch.values(), key=lambda e: -e["members"]),
        "by_manager": sorted(by_manager.values(), key=lambda e: -e["members"]),
    }


def _person(row):
    name = f"{row['manager__last_name'] or ''}{row['manager__first_name'] or ''}".strip()
    return name or row["manager__username"] or _("No manager")


def member_for_task(actor, task):
    """The campaign target behind a task the campaign launched ("campaign:<id>:customer:<id>"),
    if the actor may respond for it; else NotVisible."""
    parts = (task.source_key or "").split(":")
    if task.source != "campaign" or len(parts) != 4 or parts[0] != "campaign" or parts[2] != "customer":
        raise NotVisible
    try:
        campaign_id, customer_id = int(parts[1]), int(parts[3])
    except ValueError as error:
        raise NotVisible from error
    member = CampaignMember.objects.filter(
        campaign_id=campaign_id, customer_id=customer_id, campaign__bank_id=task.bank_id, arm=CampaignMember.Arm.TARGET
    ).first()
    if member is None:
        raise NotVisible
    return member_for(actor, member.pk)
