"""The models of every sysadmin area, gathered for Django (it loads `sysadmin.org.models`) and for
the migrations, which name `StaffManager`, `validate_timezone` and `validate_working_week` here.

Each model lives in its area's models.py; import it from there in new code.
"""

from sysadmin.accounts.models import LoginFailure, PasswordHistory, RecoveryCode, RecoveryCodeDevice
from sysadmin.imports.models import ImportBatch, ImportRow
from sysadmin.org.models import (
    Bank,
    BankCode,
    Branch,
    Holiday,
    Staff,
    StaffManager,
    validate_timezone,
    validate_working_week,
)
from sysadmin.parameters.models import SystemParameter

__all__ = [
    "Bank", "BankCode", "Branch", "Holiday", "ImportBatch", "ImportRow", "LoginFailure", "PasswordHistory",
    "RecoveryCode", "RecoveryCodeDevice", "Staff",
    "StaffManager", "SystemParameter", "validate_timezone", "validate_working_week",
]  # fmt: skip
