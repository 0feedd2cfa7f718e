"""Bilateral consent: an agreement is in force when the system administrators of both banks have
accepted it and neither has suspended it. Within one bank no agreement is needed."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crossborder.agreements.models import CrossBorderAgreement
from crossborder.requests import events
from ocrm.errors import NotVisible, Refused
from sysadmin.org.models import Bank


def is_bank_admin(user):
    return user.is_superuser or (user.bank_id is not None and user.groups.filter(name="system_admin").exists())


def _require_admin(user):
    if not is_bank_admin(user):
        raise PermissionDenied(_("Only the bank's system administrators may change cross-border agreements."))


def in_force(one_bank_id, other_bank_id):
    """May these banks' branches work together now? Read from the database every time, so a
    suspension takes effect at once."""
    if one_bank_id == other_bank_id:
        return True
    return CrossBorderAgreement.objects.between(one_bank_id, other_bank_id).in_force().exists()


def visible_agreements(user):
    if user.is_superuser:
        return CrossBorderAgreement.objects.all()
    return CrossBorderAgreement.objects.of_bank(user.bank_id)


@transaction.atomic
def accept(user, partner_bank_id):
    """The user's bank accepts (proposing it if new) the agreement with the partner bank."""
    _require_admin(user)
    if partner_bank_id == user.bank_id:
        raise Refused(_("Branches of one bank need no cross-border agreement."))
    if not Bank.objects.filter(pk=partner_bank_id, is_active=True).exists():
        raise NotVisible()
    low, high = sorted((user.bank_id, partner_bank_id))
    agreement, _created = CrossBorderAgreement.objects.select_for_update().get_or_create(bank_a_id=low, bank_b_id=high)
    side = agreement.side_of(user.bank_id)
    setattr(agreement, f"accepted_by_{side}", user)
    setattr(agreement, f"accepted_by_{side}_at", timezone.now())
    setattr(agreement, f"suspended_by_{side}_at", None)
    agreement.save()
    events.agreement_changed(agreement, user, "crossborder_agreement_accepted")
    return agreement


def _own_agreement(user, agreement_id):
    agreement = visible_agreements(user).select_for_update().filter(pk=agreement_id).first()
    if agreement is None:
        raise NotVisible()
    return agreement


@transaction.atomic
def suspend(user, agreement_id):
    _require_admin(user)
    agreement = _own_agreement(user, agreement_id)
    side = agreement.side_of(user.bank_id)
    if getattr(agreement, f"suspended_by_{side}_at"):
        raise Refused(_("Your bank has already suspended this agreement."))
    setattr(agreement, f"suspended_by_{side}_at", timezone.now())
    agreement.save()
    events.agreement_changed(agreement, user, "crossborder_agreement_suspended")
    return agreement


@transaction.atomic
def resume(user, agreement_id):
    _require_admin(user)
    agreement = _own_agreement(user, agreement_id)
    side = agreement.side_of(user.bank_id)
    if not getattr(agreement, f"suspended_by_{side}_at"):
        raise Refused(_("Your bank has not suspended this agreement."))
    setattr(agreement, f"suspended_by_{side}_at", None)
    agreement.save()
    events.agreement_changed(agreement, user, "crossborder_agreement_resumed")
    return agreement
