"""Sign-in accounts: roles and permissions, club scope, passwords, sessions, sign-in throttling, masking of
customers, the activity log, the store.

    from core.accounts import Account, Role, authenticate, can, mask_customers, require, scope

The modules: `roles` (Role, Account, can, require, the errors), `scope` (the clubs an account may see),
`passwords` (scrypt hashes and password rules), `throttle` (the back-off after failed sign-ins, by name
and by address), `sessions` (lasting, revocable sessions behind the HttpOnly cookie), `masking`
(what analysts see of a customer), `audit` (the activity log: who did what), `store` (the accounts in
PostgreSQL). The `oyna user` command is `core.cli.users`.
"""

from core.accounts import audit, scope, sessions
from core.accounts.masking import mask_customers, sees_contacts, short_name
from core.accounts.passwords import HashingBusy
from core.accounts.roles import (
    CHAIN_PERMISSIONS,
    PERMISSIONS,
    Account,
    AuthError,
    PermissionDenied,
    Role,
    UnknownAccount,
    can,
    parse_role,
    require,
)
from core.accounts.store import (
    account_language,
    add_account,
    authenticate,
    change_password,
    club_ids_by_name,
    club_ids_of,
    ensure_demo_accounts,
    list_accounts,
    remove_account,
    set_language,
    set_password,
    set_role,
    set_scope,
)
from core.accounts.throttle import SignInThrottled

__all__ = [
    "CHAIN_PERMISSIONS", "PERMISSIONS", "Account", "AuthError", "HashingBusy", "PermissionDenied", "Role",
    "SignInThrottled", "UnknownAccount", "account_language", "add_account", "audit", "authenticate", "can",
    "change_password", "club_ids_by_name", "club_ids_of", "ensure_demo_accounts", "list_accounts", "mask_customers",
    "parse_role", "remove_account", "require", "scope", "sees_contacts", "sessions", "set_language", "set_password",
    "set_role", "set_scope", "short_name",
]
