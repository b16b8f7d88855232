"""Roles and what each may do, the signed-in account, and the errors of the accounts domain.

Roles are enforced on the server side: services call `require(account, "retrain")` before doing
the work, so hiding a button is never the only guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from core.i18n import N_, _


class AuthError(ValueError):
    """Bad input to an account operation; the message is safe to show (it never holds a password)."""


class UnknownAccount(AuthError):
    """No account has that username."""


class PermissionDenied(AuthError):
    """The account's role does not allow this."""


class Role(StrEnum):
    MANAGER = "manager"
    ANALYST = "analyst"


# permission -> what it lets you do (for messages, in the reader's language: _(PERMISSIONS[p]))
PERMISSIONS: dict[str, str] = {
    "view": N_("view the dashboards"),
    "retrain": N_("retrain models"),
    "manage_models": N_("manage saved models"),
    "see_contacts": N_("see customers' e-mails and phone numbers"),
    "manage_accounts": N_("manage sign-in accounts"),
    "import_data": N_("import club data"),
    "manage_campaigns": N_("create and close retention campaigns"),
    "manage_alerts": N_("choose which alerts reach people"),
    "view_activity": N_("see who did what (the activity log)"),
    "view_system": N_("see the system's health"),
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.MANAGER: frozenset(PERMISSIONS),
    Role.ANALYST: frozenset({"view"}),
}


def parse_role(role: Role | str) -> Role:
    if isinstance(role, Role):
        return role
    if isinstance(role, str):
        try:
            return Role(role.strip().lower())
        except ValueError:
            pass
    raise AuthError(_("the role must be 'manager' or 'analyst'"))


@dataclass(frozen=True)
class Account:
    """A signed-in (or listed) account. It never carries the password hash."""

    id: int
    username: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    failed_attempts: int = 0
    locked_until: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(id=row.id, username=row.username, role=Role(row.role), created_at=row.created_at,
                   password_changed_at=row.password_changed_at, failed_attempts=row.failed_attempts,
                   locked_until=row.locked_until)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > datetime.now(timezone.utc)

    def can(self, permission: str) -> bool:
        return can(self, permission)


def _known(permission: str) -> None:
    if permission not in PERMISSIONS:
        raise AuthError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")


def can(who: Account | Role | str | None, permission: str) -> bool:
    """Whether an account (or a role) may do `permission`; nobody signed in (None) may do nothing.

    An unknown permission name raises AuthError, so a typo fails loudly instead of denying quietly.
    """
    _known(permission)
    if who is None:
        return False
    role = who.role if isinstance(who, Account) else parse_role(who)
    return permission in ROLE_PERMISSIONS[role]


def require(account: Account | None, permission: str) -> Account:
    """Return the account if it may do `permission`, else raise PermissionDenied."""
    _known(permission)
    action = _(PERMISSIONS[permission])
    if account is None:
        raise PermissionDenied(_("sign in to {action}").format(action=action))
    if not can(account, permission):
        message = (_("'{name}' is an analyst and may not {action}; ask a manager") if account.role == Role.ANALYST
                   else _("'{name}' is a manager and may not {action}"))
        raise PermissionDenied(message.format(name=account.username, action=action))
    return account
