"""pages.ui.cache.RefreshingStore: the Overview's live figures are fetched again ahead of their ttl in the
background, so sessions reading them on a timer never wait for a shared refresh, and never see a result
older than the ttl."""

from __future__ import annotations

import threading
import time

import pytest

from pages.ui.cache import RefreshingStore


class Source:
    """A slow fetch that counts its calls and can be told to fail."""

    def __init__(self, seconds: float = 0.0):
        self.seconds, self.calls, self.fail = seconds, 0, False
        self.lock = threading.Lock()

    def __call__(self) -> dict:
        time.sleep(self.seconds)
        with self.lock:
            self.calls += 1
            if self.fail:
                raise ConnectionError("database down")
            return {"call": self.calls, "at": time.monotonic()}


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_fresh_result_is_read_without_fetching():
    store, source = RefreshingStore(ttl=10), Source()
    first = store.get("k", source)
    assert store.get("k", source) == first and source.calls == 1


def test_late_in_its_ttl_a_result_is_served_at_once_and_fetched_again_in_the_background():
    store, source = RefreshingStore(ttl=3.0, ahead=0.5), Source(seconds=0.5)
    assert store.get("k", source)["call"] == 1
    time.sleep(1.6)  # past `ahead` of the ttl
    started = time.monotonic()
    assert store.get("k", source)["call"] == 1  # the old result, without waiting for the slow fetch
    assert store.get("k", source)["call"] == 1  # one background fetch at a time
    assert time.monotonic() - started < 0.4
    wait_for(lambda: source.calls == 2)
    wait_for(lambda: store.get("k", source)["call"] == 2)
    assert source.calls == 2


def test_a_result_as_old_as_its_ttl_is_fetched_while_the_reader_waits():
    store, source = RefreshingStore(ttl=0.2), Source(seconds=0.05)
    store.get("k", source)
    time.sleep(0.25)
    got = store.get("k", source)
    assert got["call"] == 2 and time.monotonic() - got["at"] < 0.2


def test_readers_at_once_share_one_fetch():
    store, source = RefreshingStore(ttl=10), Source(seconds=0.2)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get("k", source))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert source.calls == 1 and all(r["call"] == 1 for r in results)


def test_a_failed_background_fetch_keeps_the_result_and_the_next_reader_tries_again():
    store, source = RefreshingStore(ttl=1.0, ahead=0.5), Source()
    store.get("k", source)
    source.fail = True
    time.sleep(0.6)
    assert store.get("k", source)["call"] == 1
    wait_for(lambda: source.calls == 2)
    time.sleep(0.5)  # now as old as the ttl: the reader waits, and sees the failure
    with pytest.raises(ConnectionError):
        store.get("k", source)
    source.fail = False
    assert store.get("k", source)["call"] == 4


def test_readers_get_copies_and_old_keys_make_room():
    store, source = RefreshingStore(ttl=10, max_entries=2), Source()
    store.get("a", source)["call"] = 99
    assert store.get("a", source)["call"] == 1
    store.get("b", source), store.get("c", source)
    assert store.get("a", source)["call"] == 4  # "a" was the least recently read, so it was dropped
    store.clear()
    assert store.get("c", source)["call"] == 5
