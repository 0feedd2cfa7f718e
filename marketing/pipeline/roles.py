"""Who works the pipeline: managers their own opportunities, supervisors their subtree's, marketing
managers the bank's (the scope permission each role already holds decides which rows)."""

from sysadmin.roles import ROLE_PERMISSIONS

PIPELINE = ["marketing.view_opportunity", "marketing.add_opportunity", "marketing.change_opportunity"]


def grant():
    for role in ("customer_manager", "branch_supervisor", "marketing_manager"):
        for spec in PIPELINE:
            if spec not in ROLE_PERMISSIONS[role]:
                ROLE_PERMISSIONS[role].append(spec)
    if "marketing.view_opportunity" not in ROLE_PERMISSIONS["auditor"]:
        ROLE_PERMISSIONS["auditor"].append("marketing.view_opportunity")
