"""Masking of customers' contacts for people whose role may not see them."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from core.accounts.roles import Account, Role, can


def mask_email(email: Any) -> Any:
    """'aigerim.alieva5@mail.kz' -> 'a***@mail.kz'; missing values pass through unchanged."""
    if not isinstance(email, str) or email == "":
        return email
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: Any) -> Any:
    """'+7 701 234 56 78' -> '+7 *** *** ** 78': the country code and the last two digits stay."""
    if not isinstance(phone, str) or phone == "":
        return phone
    text = phone.strip()
    digits = sum(ch in "0123456789" for ch in text)
    if digits == 0:
        return "***"
    keep_front = 0
    if text.startswith("+"):
        code = re.match(r"\+(\d{1,3})(?=\D)", text)
        keep_front = len(code.group(1)) if code else 1
    keep_back = 2 if digits - keep_front >= 6 else 0
    out, seen = [], 0
    for ch in text:
        if ch in "0123456789":
            seen += 1
            out.append(ch if seen <= keep_front or seen > digits - keep_back else "*")
        else:
            out.append(ch)
    return "".join(out)


def _contact_kind(column: Any) -> str | None:
    name = str(column).lower()
    for kind in ("email", "phone"):
        if name == kind or name.endswith("_" + kind):
            return kind
    return None


def mask_contacts(df: pd.DataFrame, who: Account | Role | str | None) -> pd.DataFrame:
    """A copy of `df` with e-mail and phone columns masked unless `who` may see contacts.

    Masks columns named `email`/`phone` and any `*_email`/`*_phone` (case-insensitive).
    """
    out = df.copy()
    if can(who, "see_contacts"):
        return out
    for column in out.columns:
        kind = _contact_kind(column)
        if kind is not None:
            out[column] = out[column].map(mask_email if kind == "email" else mask_phone, na_action="ignore")
    return out
