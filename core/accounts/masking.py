"""What people whose role may not see contacts see of a customer: a first name and an initial, never an
e-mail or a phone. Done here, once, for every list, profile, search result, export and chart label.

A name comes from a club system, where people type their own: a nickname, or a phone number or an e-mail
in the name field. A first word that looks like a contact is never shown: the customer's number instead."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from core.accounts.roles import Account, can
from core.i18n import _

NAME_COLUMNS = ("full_name", "name", "customer_name")
HIDDEN = "•••"  # a name that looks like a contact, when the customer's number is not known
_DIGITS = re.compile(r"\d")
_PHONE_CHARACTERS = re.compile(r"[\d+()\-.]+")


def looks_like_contact(word: str) -> bool:
    """Whether a word of a name could be an e-mail or a phone number: it has an @, five digits or more, or
    only a phone's characters and a digit ('+7', '8(701)')."""
    digits = len(_DIGITS.findall(word))
    return "@" in word or digits >= 5 or (digits > 0 and _PHONE_CHARACTERS.fullmatch(word) is not None)


def short_name(full_name: Any, user_id: Any = None) -> Any:
    """'Айгерим Алиева' -> 'Айгерим А.'; a single name stays; a name whose first word looks like a phone or
    an e-mail -> 'Customer #<user_id>' (or '•••' without one), and a second word that does gives no initial;
    missing values pass through."""
    if not isinstance(full_name, str):
        return full_name
    words = full_name.split()
    if not words:
        return full_name
    if looks_like_contact(words[0]):
        return HIDDEN if user_id is None or pd.isna(user_id) else _("Customer #{id}").format(id=int(user_id))
    return words[0] if len(words) == 1 or looks_like_contact(words[1]) else f"{words[0]} {words[1][:1]}."


def contact_column(column: Any) -> bool:
    """Whether a column holds e-mails or phones: `email`, `phone` and any `*_email` / `*_phone`."""
    name = str(column).lower()
    return any(name == kind or name.endswith("_" + kind) for kind in ("email", "phone"))


def sees_contacts(who: Account | None) -> bool:
    """Whether the signed-in account may see customers' full names, e-mails and phones."""
    return isinstance(who, Account) and can(who, "see_contacts")


def mask_customers(df: pd.DataFrame, who: Account | None) -> pd.DataFrame:
    """A copy of `df` as `who` may see it: unchanged for a manager; for anyone else without e-mail and
    phone columns and with names cut to a first name and an initial (a `user_id` column numbers the names
    that look like contacts)."""
    out = df.copy()
    if sees_contacts(who):
        return out
    out = out.drop(columns=[c for c in out.columns if contact_column(c)])
    ids = out["user_id"] if "user_id" in out.columns else pd.Series(None, index=out.index, dtype=object)
    for column in NAME_COLUMNS:
        if column in out.columns:
            out[column] = [short_name(name, user_id) for name, user_id in zip(out[column], ids)]
    return out
