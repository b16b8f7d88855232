"""HTTP POSTs of alert delivery, made so that a webhook never reaches the server's own network.

    post_json(url, body, allowed_hosts=settings.webhook_allowed_hosts)   # a webhook: checked, as below
    post_json(url, body, keep_answer=True)                               # the Bot API: the operator's URL

A webhook is https, or http for a host in OYNA_WEBHOOK_ALLOWED_HOSTS. Its host is resolved once and every
address found must be public (`refused` says which are not: loopback, private, link-local, shared (CGNAT),
multicast, reserved, unspecified, cloud metadata, and the IPv6 forms that carry one of those); an allowed
host may use any address but a metadata one. The connection then goes to the checked address itself
(`PinnedConnection`), with the name in the Host header and in TLS (SNI and the certificate's check), so a
name whose DNS answer changes between the check and the connection gets nowhere. Redirects are not
followed. A webhook's answer is never read: an error names the status and the host, and every failed
connection reads the same ("could not deliver to HOST"), so test messages cannot scan ports.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from core.i18n import _

logger = logging.getLogger("oyna.alerts")

TIMEOUT = 10.0  # seconds to connect, and for each read
ANSWER_LIMIT = 65_536  # bytes of an answer read at most (the Bot API's JSON)
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not global
_PATH_SAFE = "".join(chr(c) for c in range(33, 127))  # printable ASCII stays; the rest is %-encoded
_HOST = re.compile(r"^[a-z0-9_.-]+$|^[0-9a-f:.]+$")  # a name (after IDNA) or an IPv6 address

AllowedHosts = Collection[tuple[str, "int | None"]]  # (host, port or None for any port), from the settings
Resolved = list[tuple[int, tuple]]  # a host's (address family, socket address) pairs


class DeliveryError(RuntimeError):
    """A message did not get through; `retry_after` is the server's own wait (seconds), when it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Address:
    """A URL as the request uses it: the host (lower case, IDNA), its port, and the path with the query."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def shown(self) -> str:
        """The host (and a port that is not the scheme's own): what messages about it name."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.scheme == "https" else 80) else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: float | None  # the Retry-After header, in seconds
    body: bytes  # empty unless asked for (never a webhook's)


def parse(url: str) -> Address:
    """An http(s) URL's parts; ValueError, with a message for people, for anything else."""
    text = (url or "").strip()
    problem = ValueError(_("A webhook is an http:// or https:// address."))
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in text):
        raise problem
    try:
        parts = urlsplit(text)
        port, host = parts.port, parts.hostname
        host = (host or "").rstrip(".").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise problem from None
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        raise problem
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_PATH_SAFE)
    return Address(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def is_allowed(address: Address, allowed_hosts: AllowedHosts) -> bool:
    """Whether the operator lets this host (and port) use http and private addresses."""
    names = {(parse(f"http://{_bracketed(h)}").host, p) for h, p in allowed_hosts}
    return (address.host, None) in names or (address.host, address.port) in names


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def webhook_address(url: str, allowed_hosts: AllowedHosts) -> tuple[Address, bool]:
    """A webhook's address and whether its host is an allowed one; ValueError for http to any other host."""
    address = parse(url)
    allowed = is_allowed(address, allowed_hosts)
    if address.scheme != "https" and not allowed:
        raise ValueError(_("A webhook's address starts with https:// (http:// only for the hosts the operator "
                           "allows in OYNA_WEBHOOK_ALLOWED_HOSTS)."))
    return address, allowed


def refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for every address but the public internet's (and for IPv6 forms that carry such an IPv4 one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour  # (NAT64's 64:ff9b::/96 is reserved: refused below)
        if ip.is_site_local or (inner is not None and refused(inner)):
            return True
    return (ip in METADATA or ip in SHARED or not ip.is_global or ip.is_private or ip.is_loopback
            or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(address: Address) -> Resolved:
    """Every address the host has now (OSError when it has none)."""
    rows = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys((family, sockaddr) for family, _type, _proto, _name, sockaddr in rows))


def check_found(address: Address, found: Resolved, allowed: bool) -> None:
    """ValueError unless every address may be reached: public ones, or any but metadata for an allowed host."""
    for _family, sockaddr in found:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip in METADATA or (not allowed and refused(ip)):
            raise ValueError(not_allowed(address))


def not_allowed(address: Address) -> str:
    return _("{host}: this address is not allowed; a webhook must reach a public address.").format(
        host=address.shown)


def check_webhook(url: str, allowed_hosts: AllowedHosts) -> None:
    """The check as a channel is saved (ValueError says what is wrong). A name that does not resolve now
    passes: each send resolves and checks again, and that check is the one that holds."""
    address, allowed = webhook_address(url, allowed_hosts)
    try:
        found = resolve(address)
    except OSError:
        return
    check_found(address, found, allowed)


class PinnedConnection(http.client.HTTPConnection):
    """http.client's connection made to addresses resolved and checked beforehand: the host's name is only
    used for the Host header and for TLS, never looked up again."""

    def __init__(self, address: Address, found: Resolved, timeout: float):
        super().__init__(address.host, address.port, timeout=timeout)
        self.tls = address.scheme == "https"
        self.default_port = 443 if self.tls else 80  # the Host header names a port only when it differs
        self.found = found

    def connect(self) -> None:
        sock = _open(self.found, self.timeout)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def _open(found: Resolved, timeout: float) -> socket.socket:
    error: OSError = OSError("no address")
    for family, sockaddr in found:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


def post_json(url: str, body: dict[str, Any], *, allowed_hosts: AllowedHosts | None = None,
              keep_answer: bool = False) -> Answer:
    """POST `body` as JSON and return the status (any: a redirect is not followed); DeliveryError when it
    cannot be sent. With `allowed_hosts` (a webhook) the address is checked as the module's doc says."""
    try:
        if allowed_hosts is None:
            address, allowed = parse(url), True
        else:
            address, allowed = webhook_address(url, allowed_hosts)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    failed = DeliveryError(_("could not deliver to {host}").format(host=address.shown))
    try:
        found = resolve(address)
    except OSError:
        raise failed from None
    if allowed_hosts is not None:
        try:
            check_found(address, found, allowed)
        except ValueError as exc:
            raise DeliveryError(str(exc)) from None
    connection = PinnedConnection(address, found, TIMEOUT)
    try:
        connection.request("POST", address.path, body=json.dumps(body, ensure_ascii=False).encode(),
                           headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "oyna-insights"})
        response = connection.getresponse()
        answer = response.read(ANSWER_LIMIT) if keep_answer else b""
        return Answer(response.status, _seconds(response.getheader("Retry-After")), answer)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # for the operator: the local reason (an errno, a certificate), never what the server sent
        logger.info("could not deliver to %s: %s", address.shown,
                    exc if isinstance(exc, OSError) else type(exc).__name__)
        raise failed from None
    finally:
        connection.close()


def _seconds(header: str | None) -> float | None:
    return float(header.strip()) if header and header.strip().isdigit() else None
