"""Club scope: which clubs a signed-in account may see, applied by every service before it queries.

    ids = scope.clubs(viewer, club_ids)   # the sidebar's choice within the account's clubs

An account of the whole chain keeps the choice as it is (SQL sees only clubs that exist); one limited to
some clubs keeps only those among the choice, and nobody signed in keeps none. The queries take the
result as a bound `:club_ids` array and see nothing for an empty one, so a scope fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.accounts.roles import Account, PermissionDenied
from core.i18n import _


def viewer(who: object) -> Account:
    """`who` when it is a signed-in Account; a role name or anything else is refused (the role of a
    request comes from its session's account, never from a string)."""
    if not isinstance(who, Account):
        raise PermissionDenied(_("sign in to see the chain's data"))
    return who


def clubs(who: Account | None, club_ids: Iterable[int]) -> list[int]:
    """The clubs of `club_ids` that `who` may see, in order, without repeats (none for nobody)."""
    if who is None:
        return []
    allowed = None if viewer(who).whole_chain else set(who.club_ids or ())
    out: list[int] = []
    for c in club_ids:
        c = int(c)
        if c not in out and (allowed is None or c in allowed):
            out.append(c)
    return out


def allows_all(who: Account | None, club_ids: Iterable[int]) -> bool:
    """Whether `who` may see every club of `club_ids` (a saved scenario's, an activity row's)."""
    ids = [int(c) for c in club_ids]
    return who is not None and (who.whole_chain or set(ids) <= set(who.club_ids or ()))
