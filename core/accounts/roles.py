"""Roles and what each may do, the signed-in account, and the errors of the accounts domain.

Roles are enforced on the server side: services call `require(account, "retrain")` before doing
the work, so hiding a button is never the only guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

# Actions on the whole chain (its models, its accounts, its servers, imports that may touch or add any club):
# an account limited to some clubs may not do them, whatever its role.
CHAIN_PERMISSIONS = frozenset({"retrain", "manage_models", "manage_accounts", "view_system", "import_data"})


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
    """A signed-in (or listed) account. It never carries the password hash.

    `club_ids` is the account's club scope: None for the whole chain, else the only clubs it may see
    (an empty tuple sees nothing). A signed-in account also knows its session and the client's address
    (for the activity log), and the interface language it chose (None: the browser's); those do not take
    part in comparisons.
    """

    id: int
    username: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    failed_attempts: int = 0
    locked_until: datetime | None = None
    club_ids: tuple[int, ...] | None = None
    session_id: int | None = field(default=None, compare=False)
    address: str | None = field(default=None, compare=False)
    language: str | None = field(default=None, compare=False)

    @classmethod
    def from_row(cls, row: Any, *, session_id: int | None = None, address: str | None = None) -> Account:
        values = row._mapping if hasattr(row, "_mapping") else row
        whole_chain = values.get("whole_chain", True)
        clubs = values.get("club_ids")
        return cls(id=row.id, username=row.username, role=Role(row.role), created_at=row.created_at,
                   password_changed_at=row.password_changed_at, failed_attempts=values.get("failed_attempts", 0),
                   locked_until=values.get("locked_until"),
                   club_ids=None if whole_chain in (None, True) else tuple(sorted(int(c) for c in clubs or ())),
                   session_id=session_id, address=address, language=values.get("language"))

    @property
    def whole_chain(self) -> bool:
        return self.club_ids is None

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
    if isinstance(who, Account) and not who.whole_chain and permission in CHAIN_PERMISSIONS:
        return False
    return permission in ROLE_PERMISSIONS[role]


def require(account: Account | None, permission: str) -> Account:
    """Return the account if it may do `permission`, else raise PermissionDenied."""
    _known(permission)
    action = _(PERMISSIONS[permission])
    if account is None:
        raise PermissionDenied(_("sign in to {action}").format(action=action))
    if not can(account, permission) and permission in ROLE_PERMISSIONS[account.role]:
        raise PermissionDenied(_("'{name}' works for some clubs only and may not {action}: that acts on the whole "
                                 "chain").format(name=account.username, action=action))
    if not can(account, permission):
        message = (_("'{name}' is an analyst and may not {action}; ask a manager") if account.role == Role.ANALYST
                   else _("'{name}' is a manager and may not {action}"))
        raise PermissionDenied(message.format(name=account.username, action=action))
    return account
