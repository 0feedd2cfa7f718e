"""Which snapshot rows an analysis reads for a user: the data scope (DESIGN §3) applied to the
snapshot tables, whose ids are plain integers (no foreign keys to follow).

* bank scope (head office, marketing, auditors): every row of the user's bank;
* subtree scope (a supervisor): rows whose branch is the supervisor's branch or below it;
* own scope (a customer manager): rows whose manager was the user on that business date (their
  book as it was then);
* a branch filter narrows any of these to that branch's subtree; a branch outside the user's
  branches is NotVisible (404).

The customers behind a figure are shown only through Customer.objects.visible_to(user).
"""

import dataclasses

from ocrm.errors import NotVisible
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch


@dataclasses.dataclass(frozen=True)
class SnapshotScope:
    bank_id: int | None
    branch_path: str | None = None  # rows of this subtree only
    manager_id: int | None = None  # rows of this manager's book only

    @property
    def empty(self):
        return self.bank_id is None

    def where(self, alias="cd"):
        """(SQL condition, params) restricting `alias` (a reports_customerday row) to the scope;
        the business date is the caller's."""
        parts, params = [f"{alias}.bank_id = %s"], [self.bank_id]
        if self.branch_path is not None:
            parts.append(f"{alias}.branch_id IN (SELECT b.id FROM sysadmin_branch b WHERE b.bank_id = %s AND b.path LIKE %s)")
            params += [self.bank_id, self.branch_path.replace("%", r"\%").replace("_", r"\_") + "%"]
        if self.manager_id is not None:
            parts.append(f"{alias}.manager_id = %s")
            params.append(self.manager_id)
        return " AND ".join(parts), params


def allowed_branches(user):
    """The branches a user may filter on: their scope's branches (a manager: their own branch's subtree)."""
    scope = scope_of(user)
    if scope in ("all", "bank", "subtree"):
        return Branch.objects.visible_to(user)
    if scope == "own" and user.branch_id:
        return Branch.objects.filter(bank_id=user.bank_id, path__startswith=user.branch.path)
    return Branch.objects.none()


def branch_by_code(user, code):
    """The branch with this code among the user's branches; NotVisible (404) when there is none."""
    code = (code or "").strip()
    if not code:
        return None
    branch = allowed_branches(user).filter(code=code).order_by("bank_id", "path").first()
    if branch is None:
        raise NotVisible
    return branch


def snapshot_scope(user, branch=None):
    """The SnapshotScope of `user`, narrowed to `branch`'s subtree when given."""
    scope = scope_of(user)
    bank_id = branch.bank_id if branch is not None else user.bank_id
    if scope is None or bank_id is None:
        return SnapshotScope(None)
    path = branch.path if branch is not None else None
    if scope == "subtree" and path is None:
        path = user.branch.path
    manager_id = user.pk if scope == "own" else None
    return SnapshotScope(bank_id, path, manager_id)
