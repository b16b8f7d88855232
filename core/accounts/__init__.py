"""Sign-in accounts: roles and permissions, passwords, sign-in throttling, masking of contacts, the store.

    from core.accounts import Account, Role, authenticate, can, mask_contacts, require

The modules: `roles` (Role, Account, can, require, the errors), `passwords` (scrypt hashes and
password rules), `throttle` (the back-off after failed sign-ins), `masking` (customers' e-mails
and phones), `store` (the accounts in PostgreSQL). The `oyna user` command is `core.cli.users`.
"""

from core.accounts.masking import mask_contacts, mask_email, mask_phone
from core.accounts.roles import (
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
    ensure_demo_accounts,
    list_accounts,
    remove_account,
    set_language,
    set_password,
)
from core.accounts.throttle import SignInThrottled

__all__ = [
    "PERMISSIONS", "Account", "AuthError", "PermissionDenied", "Role", "SignInThrottled", "UnknownAccount",
    "account_language", "add_account", "authenticate", "can", "ensure_demo_accounts", "list_accounts",
    "mask_contacts", "mask_email", "mask_phone", "parse_role", "remove_account", "require", "set_language",
    "set_password",
]
