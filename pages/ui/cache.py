"""Core services cached for the app. Pages cache what a service returns, never SQL.

    from core.forecast import service
    history = cached(service.revenue_history, ttl=600)(club_ids=ids, until=yesterday)

`cached(fn)` calls `fn(engine, *args, **kwargs)` with the app's engine; `cached(fn, engine=False)`
calls `fn(*args, **kwargs)` (for a service that works on frames it was given). Results are kept per
argument values and per interface language (services put words in their results), for `ttl` seconds.
A signed-in Account is keyed by who it is, its role and its clubs (not by its session), so a role or
scope change misses the cache at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.accounts import Account
from core.i18n import current_locale, use_locale
from pages.ui.session import engine as app_engine

_WRAPPERS: dict[tuple, Callable[..., Any]] = {}


def cached(service: Callable[..., Any], *, ttl: int, engine: bool = True, max_entries: int = 128,
           spinner: str | bool = False) -> Callable[..., Any]:
    """`service`, cached by its arguments and the language for `ttl` seconds."""
    key = (service, int(ttl), engine, max_entries, spinner)
    wrapper = _WRAPPERS.get(key)
    if wrapper is None:
        wrapper = _wrap(service, int(ttl), engine, max_entries, spinner)
        _WRAPPERS[key] = wrapper
    return wrapper


def _account_key(account: Account) -> tuple:
    return (account.id, account.username, account.role.value, account.club_ids)


def _wrap(service: Callable[..., Any], ttl: int, engine: bool, max_entries: int,
          spinner: str | bool) -> Callable[..., Any]:
    def call(language: str, *args: Any, **kwargs: Any) -> Any:
        with use_locale(language):
            return service(app_engine(), *args, **kwargs) if engine else service(*args, **kwargs)

    # Streamlit keys a cache by the function's module and name: one cache per service and TTL.
    call.__module__ = service.__module__
    call.__qualname__ = call.__name__ = f"{service.__qualname__}__ttl_{ttl}"
    inner = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=spinner,
                          hash_funcs={Account: _account_key})(call)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return inner(current_locale(), *args, **kwargs)

    wrapper.__doc__ = service.__doc__
    wrapper.clear = inner.clear  # forget every cached result of this service
    return wrapper
