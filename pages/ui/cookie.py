"""The session cookie: an HttpOnly, SameSite=Strict cookie (Secure under HTTPS) that only the server can
set or read, so no script in the page can steal it.

Two Starlette routes, served next to Streamlit by `pages/ui/asgi.py`:

    POST /oyna/session      {"grant": ...}  trades a one-time grant (from signing in) for the cookie
    POST /oyna/session/end                  clears the cookie (after signing out) and ends its session

and `sync()`, a few lines of front-end code (a Streamlit v2 component, in the page itself) that calls
them with a same-origin fetch() right after signing in or out. The page reads the cookie back with
`st.context.cookies` when a tab opens. docs/security.md explains the choice.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlsplit

import streamlit as st
from streamlit import config

from core.accounts import sessions
from core.platform.settings import load_settings

logger = logging.getLogger("oyna.pages")

COOKIE = "oyna_session"
ROUTE = "/oyna/session"
GRANT_KEY = "_oyna_cookie_grant"      # (grant, monotonic deadline) waiting to be traded for the cookie
FORGET_KEY = "_oyna_forget_cookie"    # the cookie should be cleared (after a sign-out)
MAX_BODY = 1024

_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data || !data.url) return;
  const key = data.action + ":" + (data.grant || "");
  window.__oynaCookie = window.__oynaCookie || {};
  if (window.__oynaCookie[key]) return;              // this grant or sign-out was sent already
  window.__oynaCookie[key] = true;
  fetch(data.url, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data.grant ? { grant: data.grant } : {}),
  }).then((r) => setTriggerValue("done", r.ok)).catch(() => setTriggerValue("done", false));
}
"""

_component = st.components.v2.component("oyna_cookie", js=_JS)


def route_path(suffix: str = "") -> str:
    """The routes' path under the server's base URL path."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + ROUTE + suffix


# ---------------------------------------------------------------- in the page


def remember(grant: str) -> None:
    """Send this grant to the cookie route at the end of the run (and again until it got there)."""
    st.session_state[GRANT_KEY] = (grant, time.monotonic() + sessions.GRANT_SECONDS)
    st.session_state.pop(FORGET_KEY, None)


def forget() -> None:
    """Clear the cookie at the end of the run (after a sign-out)."""
    st.session_state.pop(GRANT_KEY, None)
    st.session_state[FORGET_KEY] = True


def sync() -> None:
    """Mount the component when the cookie must be set or cleared (app.py, at the end of every run)."""
    pending = st.session_state.get(GRANT_KEY)
    if pending and time.monotonic() > pending[1]:
        st.session_state.pop(GRANT_KEY, None)  # too late: this tab stays signed in, a reload will not
        pending = None
    if pending:
        data, done = {"action": "grant", "grant": pending[0], "url": route_path()}, GRANT_KEY
    elif st.session_state.get(FORGET_KEY):
        data, done = {"action": "forget", "url": route_path("/end")}, FORGET_KEY
    else:
        return

    def finished() -> None:
        if not st.session_state.get("oyna_cookie", {}).get("done"):
            logger.warning("the session cookie could not be %s (is the app served by pages/ui/asgi.py?)",
                           "set" if done == GRANT_KEY else "cleared")
        st.session_state.pop(done, None)

    _component(key="oyna_cookie", data=data, height=0, on_done_change=finished)


# ---------------------------------------------------------------- on the server


def _same_origin(request, trusted_proxies: int) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    hosts = {request.headers.get("host", "")}
    if trusted_proxies:
        hosts.add(request.headers.get("x-forwarded-host", "").split(",")[0].strip())
    return urlsplit(origin).netloc in hosts - {""}


def _secure(request, trusted_proxies: int) -> bool:
    if request.url.scheme == "https":
        return True
    return bool(trusted_proxies) and request.headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https"


class Refused(Exception):
    """A request the routes refuse, with its HTTP status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _body(request) -> bytes:
    """The request's body, read with a cap: a declared length over MAX_BODY is refused before anything is
    read (413), a body without a length must come chunked (else 411), and a chunked one is refused as soon
    as it passes MAX_BODY, so no request makes the process hold more than about MAX_BODY of it."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise Refused(400)
        if int(length) > MAX_BODY:
            raise Refused(413)
    elif "chunked" not in request.headers.get("transfer-encoding", "").lower():
        raise Refused(411)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413)
    return bytes(body)


async def _checked_json(request, trusted_proxies: int) -> dict:
    """The JSON object a route was sent (Refused: not same-origin, not JSON, too big)."""
    if not _same_origin(request, trusted_proxies):
        raise Refused(403)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused(403)
    body = await _body(request)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise Refused(400) from None
    if not isinstance(data, dict):
        raise Refused(400)
    return data


async def grant_route(request):
    """Trade a grant for the session cookie."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    settings = load_settings()
    try:
        data = await _checked_json(request, settings.trusted_proxies)
    except Refused as refused:
        return JSONResponse({"ok": False}, status_code=refused.status)
    from pages.ui.session import engine

    got = await run_in_threadpool(sessions.redeem, engine(), str(data.get("grant", "")))
    if got is None:
        return JSONResponse({"ok": False}, status_code=400)
    token, expires_at = got
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    max_age = max(1, int(expires_at.timestamp() - time.time()))
    response.set_cookie(COOKIE, token, max_age=max_age, path=route_path("")[:-len(ROUTE)] or "/", httponly=True,
                        samesite="strict", secure=_secure(request, settings.trusted_proxies))
    return response


async def end_route(request):
    """Clear the session cookie (its session, if still live, ends too)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    settings = load_settings()
    try:
        await _checked_json(request, settings.trusted_proxies)
    except Refused as refused:
        return JSONResponse({"ok": False}, status_code=refused.status)
    token = request.cookies.get(COOKIE)
    if token:
        from pages.ui.session import engine

        def end_it() -> None:
            account = sessions.resume(engine(), token=token, touch=False)
            if account is not None:
                sessions.sign_out(engine(), account)

        await run_in_threadpool(end_it)
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path=route_path("")[:-len(ROUTE)] or "/", httponly=True, samesite="strict",
                           secure=_secure(request, settings.trusted_proxies))
    return response


def routes() -> list:
    """The Starlette routes of the session cookie."""
    from starlette.routing import Route

    return [Route(route_path(), grant_route, methods=["POST"]), Route(route_path("/end"), end_route, methods=["POST"])]
