"""What people whose role may not see contacts see of a customer: a first name and an initial, never an
e-mail or a phone. Done here, once, for every list, profile, search result, export and chart label."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.accounts.roles import Account, can

NAME_COLUMNS = ("full_name", "name", "customer_name")


def short_name(full_name: Any) -> Any:
    """'Айгерим Алиева' -> 'Айгерим А.'; a single name stays; missing values pass through."""
    if not isinstance(full_name, str):
        return full_name
    words = full_name.split()
    if not words:
        return full_name
    return words[0] if len(words) == 1 else f"{words[0]} {words[1][:1]}."


def contact_column(column: Any) -> bool:
    """Whether a column holds e-mails or phones: `email`, `phone` and any `*_email` / `*_phone`."""
    name = str(column).lower()
    return any(name == kind or name.endswith("_" + kind) for kind in ("email", "phone"))


def sees_contacts(who: Account | None) -> bool:
    """Whether the signed-in account may see customers' full names, e-mails and phones."""
    return isinstance(who, Account) and can(who, "see_contacts")


def mask_customers(df: pd.DataFrame, who: Account | None) -> pd.DataFrame:
    """A copy of `df` as `who` may see it: unchanged for a manager; for anyone else without e-mail and
    phone columns and with names cut to a first name and an initial."""
    out = df.copy()
    if sees_contacts(who):
        return out
    out = out.drop(columns=[c for c in out.columns if contact_column(c)])
    for column in NAME_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(short_name, na_action="ignore")
    return out
