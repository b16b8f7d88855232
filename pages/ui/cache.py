"""Core services cached for the app. Pages cache what a service returns, never SQL.

    from core.forecast import service
    history = cached(service.revenue_history, ttl=600)(club_ids=ids, until=yesterday)

`cached(fn)` calls `fn(engine, *args, **kwargs)` with the app's engine; `cached(fn, engine=False)`
calls `fn(*args, **kwargs)` (for a service that works on frames it was given). Results are kept per
argument values and per interface language (services put words in their results), for `ttl` seconds.
A signed-in Account is keyed by who it is, its role and its clubs (not by its session), so a role or
scope change misses the cache at once.

`refreshed(fn, ttl=15)` is for figures that many sessions re-read on a timer (the Overview's live part).
Once a result is past `AHEAD` of its ttl, the next reader gets it at once and one background thread fetches
a fresh one; a result `ttl` old, or none yet, is fetched while the reader waits. So no result is older than
`ttl`, as with `cached`, and while sessions keep reading, none of them waits for a shared refresh. A failed
background fetch is logged, and the next reader tries again.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.accounts import Account
from core.i18n import current_locale, use_locale
from pages.ui.session import engine as app_engine

_WRAPPERS: dict[tuple, Callable[..., Any]] = {}
AHEAD = 0.75  # a refreshed() result this far into its ttl is fetched again in the background

logger = logging.getLogger("oyna.pages")


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


def refreshed(service: Callable[..., Any], *, ttl: int, max_entries: int = 64) -> Callable[..., Any]:
    """`service(engine, ...)`, cached like `cached` and refreshed in the background before `ttl` runs out."""
    key = (service, "refreshed", int(ttl), max_entries)
    wrapper = _WRAPPERS.get(key)
    if wrapper is None:
        store = RefreshingStore(ttl=ttl, max_entries=max_entries, name=service.__qualname__)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            language, db = current_locale(), app_engine()

            def fetch() -> Any:
                with use_locale(language):
                    return service(db, *args, **kwargs)

            return store.get((language, _frozen(args), _frozen(kwargs)), fetch)

        wrapper.__doc__ = service.__doc__
        wrapper.clear = store.clear
        _STORES.append(store)
        _WRAPPERS[key] = wrapper
    return wrapper


def clear_all() -> None:
    """Forget every cached result, of `cached` and of `refreshed`."""
    st.cache_data.clear()
    for store in _STORES:
        store.clear()


@dataclass
class _Entry:
    value: Any = None
    at: float = float("-inf")  # time.monotonic() of the fetch
    fetching: threading.Lock = field(default_factory=threading.Lock)
    refreshing: bool = False


class RefreshingStore:
    """Results by key, each fetched by one thread at a time and fetched again ahead of its ttl."""

    def __init__(self, *, ttl: float, max_entries: int = 64, name: str = "", ahead: float = AHEAD):
        self.ttl, self.max_entries, self.name, self.ahead = ttl, max_entries, name, ahead
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
            age = time.monotonic() - entry.at
            start = self.ahead * self.ttl <= age < self.ttl and not entry.refreshing
            entry.refreshing |= start
        if start:
            threading.Thread(target=self._refresh, args=(entry, fetch), daemon=True,
                             name=f"refresh {self.name}").start()
        if age >= self.ttl:
            with entry.fetching:
                if time.monotonic() - entry.at >= self.ttl:  # nobody fetched it meanwhile
                    entry.value, entry.at = fetch(), time.monotonic()
        return copy.deepcopy(entry.value)  # readers may change what they get

    def _refresh(self, entry: _Entry, fetch: Callable[[], Any]) -> None:
        try:
            with entry.fetching:
                entry.value, entry.at = fetch(), time.monotonic()
        except Exception:  # noqa: BLE001 - the next reader tries again
            logger.warning("background refresh of %s failed", self.name, exc_info=True)
        finally:
            entry.refreshing = False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_STORES: list[RefreshingStore] = []


def _frozen(value: Any) -> Hashable:
    if isinstance(value, Account):
        return _account_key(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_frozen(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value))
    return value
