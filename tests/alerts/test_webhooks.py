"""Webhooks never reach the server's own network (issue 18, item 1). A real HTTP server on 127.0.0.1
stands for what a manager should not reach: every way of naming it is refused, when the channel is saved
and when a message is sent, before any connection is made; a host the operator allows
(OYNA_WEBHOOK_ALLOWED_HOSTS) does reach it. DNS answers are made up by replacing socket.getaddrinfo for the
test's own names (the code under test is not replaced)."""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from core.alerts import channels, outbound
from core.alerts.channels import DeliveryError, Message
from core.platform.settings import load_settings
from tests.alerts.support import http_recorder

MESSAGE = Message(subject="Test", text="Test message", data={"event": "test"})
LOOPBACK = ("127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]",
            "localhost", "0.0.0.0", "LOCALHOST.")
INSIDE = ("10.0.0.5", "172.16.3.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "[fd00:ec2::254]",
          "[fe80::1]", "[fc00::1]", "224.0.0.1", "240.0.0.1", "[::ffff:10.0.0.5]", "[2002:7f00:1::]")


def settings(tmp_path, allowed: str = ""):
    """The settings as the environment gives them, with OYNA_WEBHOOK_ALLOWED_HOSTS = `allowed`."""
    return load_settings({"OYNA_HOME": str(tmp_path), "OYNA_WEBHOOK_ALLOWED_HOSTS": allowed}, root=tmp_path)


@pytest.fixture
def server():
    with http_recorder() as (base, http):
        yield base, int(base.rsplit(":", 1)[1]), http


@pytest.fixture
def dns(monkeypatch):
    """dns({"name": [["1.2.3.4"], ["127.0.0.1"]]}): getaddrinfo answers a name with the next list each time
    it is asked (the last list from then on; an empty one: no such name), other names as usual; returns the
    names asked, in order."""
    real, asked = socket.getaddrinfo, []

    def install(answers: dict[str, list[list[str]]]) -> list[str]:
        def getaddrinfo(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in answers:
                return real(host, port, *args, **kwargs)
            asked.append(name)
            ips = answers[name][0] if len(answers[name]) == 1 else answers[name].pop(0)
            if not ips:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (ip, int(port), 0, 0) if ":" in ip else (ip, int(port))) for ip in ips]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return install


def refused_everywhere(tmp_path, url: str, allowed: str, match: str) -> None:
    """Refused when saved (with a message for people) and when sent (before connecting)."""
    with pytest.raises(ValueError, match=match):
        channels.check_target("webhook", url, settings(tmp_path, allowed).webhook_allowed_hosts)
    with pytest.raises(DeliveryError, match=match):
        channels.send(settings(tmp_path, allowed), "webhook", url, MESSAGE)


@pytest.mark.parametrize("host", LOOPBACK)
def test_every_spelling_of_the_servers_own_address_is_refused(server, tmp_path, host):
    base, port, http = server
    allowed = "127.0.0.1" if host != "127.0.0.1" else "hooks.example.kz"  # allowing a name is not a spelling
    for scheme, match in (("http", "https://"), ("https", "this address is not allowed")):
        url = f"{scheme}://{host}:{port}/hooks/x"
        for setting in ("", allowed):
            refused_everywhere(tmp_path, url, setting, match)
    assert http.connections == 0 and http.requests == []


@pytest.mark.parametrize("host", INSIDE)
def test_private_link_local_metadata_and_reserved_addresses_are_refused(tmp_path, host):
    refused_everywhere(tmp_path, f"https://{host}/latest/meta-data/", "", "this address is not allowed")
    if host in ("169.254.169.254", "[fd00:ec2::254]"):  # metadata: even for a host the operator allows
        refused_everywhere(tmp_path, f"http://{host}/latest/meta-data/", host, "this address is not allowed")


def test_a_name_that_resolves_inside_is_refused(server, tmp_path, dns):
    base, port, http = server
    dns({"inside.example.kz": [["127.0.0.1"]], "office.example.kz": [["192.168.10.4"]],
         "both.example.kz": [["8.8.8.8", "127.0.0.1"]]})
    for name in ("inside.example.kz", "office.example.kz", "both.example.kz"):  # every address is checked
        refused_everywhere(tmp_path, f"https://{name}:{port}/hooks/x", "", f"{name}:{port}: this address is not")
    assert http.connections == 0


def test_the_connection_goes_to_the_address_that_was_checked(server, tmp_path, dns, monkeypatch):
    """A name that answers a public address to the check and 127.0.0.1 afterwards: the request goes to the
    public address (which refuses here) and never to the server's own."""
    base, port, http = server
    monkeypatch.setattr(outbound, "TIMEOUT", 1.0)
    asked = dns({"rebind.example.kz": [["8.8.8.8"], ["127.0.0.1"]]})
    with pytest.raises(DeliveryError, match=f"could not deliver to rebind.example.kz:{port}"):
        channels.send(settings(tmp_path), "webhook", f"https://rebind.example.kz:{port}/hooks/x", MESSAGE)
    assert asked == ["rebind.example.kz"]  # looked up once
    assert http.connections == 0


def test_an_allowed_host_reaches_the_local_server(server, tmp_path):
    base, port, http = server
    allowed = f"hooks.example.kz, 127.0.0.1:{port}"
    url = f"{base}/hooks/ok?channel=ops"
    assert channels.check_target("webhook", url, settings(tmp_path, allowed).webhook_allowed_hosts) == url
    channels.send(settings(tmp_path, allowed), "webhook", url, MESSAGE)
    assert http.paths() == ["/hooks/ok?channel=ops"]
    assert http.requests[0]["json"]["text"] == "Test message" and http.requests[0]["host"] == f"127.0.0.1:{port}"
    with pytest.raises(DeliveryError, match="https://"):  # the same host at another port is not allowed
        channels.send(settings(tmp_path, "127.0.0.1:1"), "webhook", url, MESSAGE)
    assert len(http.requests) == 1


def test_redirects_are_not_followed(tmp_path):
    with http_recorder() as (first, one), http_recorder() as (second, two):
        one.redirect_to = f"{second}/hooks/elsewhere"
        with pytest.raises(DeliveryError) as caught:
            channels.send(settings(tmp_path, "127.0.0.1"), "webhook", f"{first}/hooks/x", MESSAGE)
        assert str(caught.value) == f"HTTP 302 from {first.split('//')[1]}: redirects are not followed"
        assert len(one.requests) == 1 and two.connections == 0


def test_a_webhooks_answer_never_reaches_the_error_or_the_log(server, tmp_path, caplog):
    base, port, http = server
    http.fail_next, http.fail_body = 2, b"SECRET-4242 ![x](http://127.0.0.1:9/p.png) [pay](http://127.0.0.1:9/)"
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as caught:
        channels.send(settings(tmp_path, "127.0.0.1"), "webhook", f"{base}/hooks/x", MESSAGE)
    assert str(caught.value) == f"HTTP 500 from 127.0.0.1:{port}"
    http.fail_status = 429  # a webhook's flood control: its Retry-After is not in the body, so it is not read
    with pytest.raises(DeliveryError) as caught:
        channels.send(settings(tmp_path, "127.0.0.1"), "webhook", f"{base}/hooks/x", MESSAGE)
    assert str(caught.value) == f"HTTP 429 from 127.0.0.1:{port}" and caught.value.retry_after is None
    assert "SECRET" not in caplog.text and "pay" not in caplog.text


@pytest.fixture
def dead_ends():
    """Three local ports that fail differently: nothing listens, it accepts and closes at once, it accepts
    and never answers."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    hanging, slamming = socket.create_server(("127.0.0.1", 0)), socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def slam():
        while True:
            try:
                conn, _ = slamming.accept()
            except OSError:
                return
            conn.close()

    def hold():
        while True:
            try:
                held.append(hanging.accept()[0])
            except OSError:
                return

    for job in (slam, hold):
        threading.Thread(target=job, daemon=True).start()
    yield {"refused": closed_port, "reset": slamming.getsockname()[1], "timeout": hanging.getsockname()[1]}
    for sock in (hanging, slamming, *held):
        sock.close()


def test_connection_errors_say_nothing_about_the_port(tmp_path, dead_ends, dns, monkeypatch):
    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    dns({"nowhere.example.kz": [[]]})
    texts = {}
    for what, port in dead_ends.items():
        with pytest.raises(DeliveryError) as caught:
            channels.send(settings(tmp_path, "127.0.0.1"), "webhook", f"http://127.0.0.1:{port}/x", MESSAGE)
        texts[what] = str(caught.value).replace(str(port), "PORT")
    with pytest.raises(DeliveryError) as caught:
        channels.send(settings(tmp_path), "webhook", "https://nowhere.example.kz/x", MESSAGE)
    texts["no such name"] = str(caught.value).replace("nowhere.example.kz", "127.0.0.1:PORT")
    assert set(texts.values()) == {"could not deliver to 127.0.0.1:PORT"}, texts


def test_what_a_webhook_address_may_be(tmp_path):
    allowed = settings(tmp_path, "hooks.internal").webhook_allowed_hosts
    assert channels.check_target("webhook", " https://hooks.example.kz/T/B ") == "https://hooks.example.kz/T/B"
    assert channels.check_target("webhook", "http://HOOKS.internal:8080/x", allowed) == "http://HOOKS.internal:8080/x"
    for bad, match in (("http://hooks.example.kz/x", "https://"), ("ftp://hooks.example.kz", "http:// or https://"),
                       ("https://hooks.example.kz:99999/", "http:// or https://"),
                       ("https://hooks.example.kz/a b", "http:// or https://"), ("https:///x", "http:// or https://")):
        with pytest.raises(ValueError, match=match):
            channels.check_target("webhook", bad, allowed)
    with pytest.raises(SystemExit, match="OYNA_WEBHOOK_ALLOWED_HOSTS"):
        settings(tmp_path, "hooks.internal/path")
