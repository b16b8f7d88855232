"""Core services cached for the app. Pages cache what a service returns, never SQL.

    from core.forecast import service
    history = cached(service.revenue_history, ttl=600)(club_ids=ids, until=yesterday)

`cached(fn)` calls `fn(engine, *args, **kwargs)` with the app's engine; `cached(fn, engine=False)`
calls `fn(*args, **kwargs)` (for a service that works on frames it was given). Results are kept per
argument values and per interface language (services put words in their results), for `ttl` seconds.
A signed-in Account is keyed by who it is, its role and its clubs (not by its session), so a role or
scope change misses the cache at once.

`refreshed(fn, ttl=15)` is for figures that sessions re-read on a timer (the Overview's live part). While
someone has read a result within the last `KEEP` ttls, a background thread fetches it again once it is past
`AHEAD` of its ttl, so a reader on a timer finds it fresh and does not wait. A result `ttl` old, or none yet,
is fetched while the reader waits (the first visit, or after nobody looked for a while). So no result is
older than `ttl`, as with `cached`. A failed background fetch is logged once, and tried again.
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
AHEAD = 0.5  # a refreshed() result this far into its ttl is fetched again in the background ...
KEEP = 3  # ... while someone has read it within this many ttls

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
    fetch: Callable[[], Any]
    value: Any = None
    at: float = float("-inf")  # time.monotonic() of the last fetch
    read_at: float = float("-inf")  # ... and of the last read
    fetching: threading.Lock = field(default_factory=threading.Lock)
    failing: bool = False


class RefreshingStore:
    """Results by key, each fetched by one thread at a time; a background thread fetches again, ahead of
    the ttl, the results someone has read within the last `keep` ttls."""

    def __init__(self, *, ttl: float, max_entries: int = 64, name: str = "", ahead: float = AHEAD,
                 keep: float = KEEP):
        self.ttl, self.max_entries, self.name, self.ahead, self.keep = ttl, max_entries, name, ahead, keep
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def get(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(fetch)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
            entry.fetch, entry.read_at = fetch, now
            if self.keep > 0 and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(target=self._run, daemon=True, name=f"refresh {self.name}")
                self._worker.start()
        if now - entry.at >= self.ttl:
            self._fetch(entry, self.ttl, background=False)
        return copy.deepcopy(entry.value)  # readers may change what they get

    def refresh_due(self) -> None:
        """Fetch again the results read within the last `keep` ttls that are past `ahead` of their ttl."""
        now = time.monotonic()
        with self._lock:
            due = [e for e in self._entries.values()
                   if now - e.read_at < self.keep * self.ttl and now - e.at >= self.ahead * self.ttl]
        for entry in due:
            self._fetch(entry, self.ahead * self.ttl, background=True)

    def _fetch(self, entry: _Entry, older_than: float, *, background: bool) -> None:
        with entry.fetching:
            if time.monotonic() - entry.at < older_than:  # another thread fetched it meanwhile
                return
            try:
                entry.value, entry.at = entry.fetch(), time.monotonic()
            except Exception:
                if not background:
                    raise
                if not entry.failing:  # once per spell of failures, not on every try
                    logger.warning("background refresh of %s failed", self.name, exc_info=True)
                entry.failing = True
            else:
                entry.failing = False

    def _run(self) -> None:
        while True:
            time.sleep(self.ttl * (1 - self.ahead) / 2)
            self.refresh_due()

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
