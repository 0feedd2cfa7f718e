"""Cross-border's part of the demo bank (`make run`, ocrm.seed): the agreement between the demo
banks (accepted by both system administrators), a cross-border officer in OGB London and in HCB
Singapore, an active fee-sharing rule (made by one officer, approved by another), requests of
OGB Shanghai in every state — to London (same bank), to New York, to HCB Singapore (partner) —,
the completed ones with a fee booked last month, and last month's profit statements computed
by the job's own service. Deterministic; --reset removes it (the staff go with the banks)."""

import datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from crossborder.agreements import services as agreements
from crossborder.agreements.models import CrossBorderAgreement
from crossborder.profitsharing import services as profit
from crossborder.profitsharing.models import (
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueEvent,
    RevenueType,
)
from crossborder.requests import services
from crossborder.requests.models import CrossBorderRequest, RequestAttachment, RequestEvent, RequestMessage, ServiceType
from customers.master.models import Customer
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.seed import SeedError, SeedPart
from sysadmin.org.models import Bank, Branch, Staff

S = CrossBorderRequest.Status
DEMO_PASSWORD = "Demo-Pass-2026"  # sysadmin.demo's, for the two officers added here
OFFICERS = [  # (username, bank, branch, first, last, local name, language)
    ("xb.ldn", "OGB", "LDN", "Oliver", "Grant", "Oliver Grant", "en"),
    ("hcb.xb.sg", "HCB", "SG", "Mei Ling", "Tan", "陈美玲", "en"),
]


def _officer(username, bank, branch, first, last, local, language):
    staff = Staff.objects.filter(username=username).first()
    if staff is None:
        staff = Staff.objects.create(
            username=username,
            password=make_password(DEMO_PASSWORD),
            first_name=first,
            last_name=last,
            name_local=local,
            email=f"{username}@{bank.code.lower()}.example",
            bank=bank,
            branch=branch,
            language=language,
            must_change_password=False,
            password_changed_at=timezone.now(),
        )
        staff.groups.add(Group.objects.get(name="crossborder_officer"))
    return staff


def _staff(username):
    staff = Staff.objects.filter(username=username).first()
    if staff is None:
        raise SeedError(f"The demo user {username} is missing: load the organisation part first.")
    return staff


def _request(requester, customer, to_branch, service, when, parts=("profile",)):
    form = {f["name"]: "demo" for f in service.form_fields if f.get("required")}
    return services.submit(
        requester,
        customer_id=customer.pk,
        to_branch=to_branch,
        service_type=service,
        form_data=form,
        shared_parts=parts,
        now=when,
    )


def _complete(officer, request, fee_minor, currency, closed_at):
    services.accept(officer, request.pk)
    services.transition(officer, request.pk, S.IN_PROGRESS)
    services.complete(officer, request.pk, fee_amount_minor=fee_minor, fee_currency=currency, note="Done for the demo.")
    CrossBorderRequest.objects.filter(pk=request.pk).update(
        accepted_at=closed_at - datetime.timedelta(hours=3), closed_at=closed_at
    )
    # The fee's revenue event is booked on commit (signal); the demo books it at once, on the
    # servicing branch's local day of the back-dated completion.
    profit.book_crossborder_fee(
        bank_id=request.bank_id,
        request_id=request.pk,
        originating_branch_id=request.from_branch_id,
        servicing_branch_id=request.to_branch_id,
        customer_id=request.customer_id,
        fee_type="crossborder_service",
        amount_minor=fee_minor,
        currency=currency,
        booked_on=closed_at.astimezone(request.to_branch.tzinfo).date(),
    )


def load_part(options, write):
    banks = {b.code: b for b in Bank.objects.filter(code__in=["OGB", "HCB"])}
    if len(banks) < 2:
        return
    if CrossBorderRequest.objects.filter(bank=banks["OGB"]).exists():
        return
    if not Customer.objects.filter(bank=banks["OGB"], primary_manager__username="mgr.sh1").exists():
        return  # seed_demo --customers none: no customers to serve
    branches = {(b.bank.code, b.code): b for b in Branch.objects.filter(bank__in=banks.values()).select_related("bank")}
    with transaction.atomic():
        officers = {
            username: _officer(username, banks[bank], branches[(bank, branch)], *rest)
            for username, bank, branch, *rest in OFFICERS
        }
        agreements.accept(_staff("admin"), banks["HCB"].pk)
        agreements.accept(_staff("hcb.admin"), banks["OGB"].pk)
        maker = _staff("xb1")
        checker = (
            Staff.objects.filter(bank=banks["OGB"], branch=maker.branch, groups__name="crossborder_officer")
            .exclude(pk=maker.pk)[:1]
            .get()
        )
        rule = ProfitShareRule(
            bank=banks["OGB"],
            name="跨境服务费 40/60",
            revenue_type=RevenueType.CROSSBORDER_FEE,
            effective_from=datetime.date(2026, 1, 1),
            priority=100,
        )
        profit.save_rule(
            rule,
            [{"side": "originating", "percentage": Decimal("40")}, {"side": "servicing", "percentage": Decimal("60")}],
            maker,
        )
        approvals.approve(profit.submit_rule_activation(rule.pk, maker).change_request_id, checker)
        draft = ProfitShareRule(
            bank=banks["OGB"],
            name="汇款协助手续费 (草稿)",
            revenue_type=RevenueType.FEE,
            fee_type="remittance",
            effective_from=timezone.localdate().replace(day=1),
            priority=200,
        )
        profit.save_rule(
            draft,
            [
                {"side": "servicing", "fixed_amount_minor": 5_000},
                {"side": "originating", "percentage": Decimal("50")},
                {"side": "servicing", "percentage": Decimal("50")},
            ],
            maker,
        )

        requester = _staff("mgr.sh1")
        customers = list(Customer.objects.filter(primary_manager=requester, merged_into__isnull=True).order_by("number")[:6])
        if len(customers) < 6:
            raise SeedError("mgr.sh1 has fewer than 6 customers: load the customers part first.")
        types = {t.code: t for t in ServiceType.objects.all()}
        london, new_york, singapore = branches[("OGB", "LDN")], branches[("OGB", "NY")], branches[("HCB", "SG")]
        now = timezone.now()
        first_of_month = timezone.localdate().replace(day=1)
        last_month = datetime.datetime.combine(
            (first_of_month - datetime.timedelta(days=1)).replace(day=12), datetime.time(6), tzinfo=datetime.UTC
        )
        ldn, sg = officers["xb.ldn"], officers["hcb.xb.sg"]
        # Completed last month, with fees: London (same bank) and Singapore (the partner bank).
        done = _request(requester, customers[0], london, types["document_verification"], last_month)
        _complete(ldn, done, 15_000, "GBP", last_month + datetime.timedelta(hours=20))
        done_sg = _request(
            requester, customers[1], singapore, types["account_opening"], last_month, parts=("profile", "identity")
        )
        _complete(sg, done_sg, 80_000, "HKD", last_month + datetime.timedelta(days=2))
        # Open ones in every state.
        _request(requester, customers[2], london, types["relationship_handoff"], now - datetime.timedelta(hours=2))
        accepted = _request(requester, customers[3], london, types["local_product_purchase"], now - datetime.timedelta(days=1))
        services.accept(ldn, accepted.pk)
        services.post_message(ldn, accepted.pk, "We will call the customer tomorrow, London time.")
        waiting = _request(
            requester,
            customers[4],
            singapore,
            types["remittance_support"],
            now - datetime.timedelta(days=2),
            ("profile", "holdings"),
        )
        services.accept(sg, waiting.pk)
        services.transition(sg, waiting.pk, S.WAITING, note="Please send the beneficiary's address.")
        _request(requester, customers[5], new_york, types["document_verification"], now - datetime.timedelta(hours=5))
        declined = _request(requester, customers[2], london, types["account_opening"], now - datetime.timedelta(days=3))
        services.transition(ldn, declined.pk, S.DECLINED, note="The customer must come in person.")
        summary = profit.compute_statement(banks["OGB"], last_month.date())
    write(
        f"  cross-border  agreement OGB-HCB, {CrossBorderRequest.objects.filter(bank=banks['OGB']).count()} requests, "
        f"{summary['statements']} profit statements ({summary['lines']} lines); officers xb.ldn (London), hcb.xb.sg (Singapore)"
    )


def reset_part(options, write):
    bank_ids = list(Bank.objects.filter(code__in=["OGB", "HCB"]).values_list("pk", flat=True))
    if not bank_ids:
        return
    with transaction.atomic():
        ProfitStatementLine.objects.filter(statement__bank_id__in=bank_ids).delete()
        ProfitStatement.objects.filter(bank_id__in=bank_ids).delete()
        RevenueEvent.objects.filter(bank_id__in=bank_ids, reversal_of__isnull=False).delete()
        RevenueEvent.objects.filter(bank_id__in=bank_ids).delete()
        ProfitShareRule.objects.filter(bank_id__in=bank_ids).delete()
        ChangeRequest.objects.filter(
            bank_id__in=bank_ids, action__in=[profit.ACTION_ACTIVATE_RULE, profit.ACTION_APPROVE_STATEMENT]
        ).delete()
        requests = CrossBorderRequest.objects.filter(bank_id__in=bank_ids)
        RequestAttachment.objects.filter(request__in=requests).delete()
        RequestEvent.objects.filter(request__in=requests).delete()
        RequestMessage.objects.filter(request__in=requests).delete()
        requests.delete()
        CrossBorderAgreement.objects.filter(bank_a_id__in=bank_ids).delete()
        CrossBorderAgreement.objects.filter(bank_b_id__in=bank_ids).delete()


SEED_PART = SeedPart("crossborder", 80, load_part, reset=reset_part)
