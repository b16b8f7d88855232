"""pages.ui.cache.RefreshingStore: while sessions read the Overview's live figures on a timer, a background
thread fetches them again before they expire, so no reader waits for a refresh and none sees a result older
than the ttl."""

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


def test_a_fresh_result_is_read_without_fetching():
    store, source = RefreshingStore(ttl=10, keep=0), Source()
    first = store.get("k", source)
    assert store.get("k", source) == first and source.calls == 1


def test_a_result_read_on_a_timer_is_fetched_again_in_the_background_and_never_waited_for():
    store, source = RefreshingStore(ttl=4.0, ahead=0.25), Source(seconds=0.4)
    store.get("k", source)
    waits, ages = [], []
    for _ in range(10):
        time.sleep(0.5)
        started = time.monotonic()
        got = store.get("k", source)
        waits.append(time.monotonic() - started)
        ages.append(time.monotonic() - got["at"])
    assert source.calls >= 3  # fetched again while read, with nobody waiting for it
    assert max(waits) < 0.3 and max(ages) < 4.0


def test_a_result_nobody_reads_is_not_fetched_again():
    store, source = RefreshingStore(ttl=0.4, ahead=0.5, keep=2), Source()
    store.get("k", source)
    time.sleep(1.5)  # past keep x ttl since the read
    calls = source.calls
    time.sleep(1.0)
    assert source.calls == calls


def test_a_result_as_old_as_its_ttl_is_fetched_while_the_reader_waits():
    store, source = RefreshingStore(ttl=0.2, keep=0), Source(seconds=0.05)
    store.get("k", source)
    time.sleep(0.25)
    got = store.get("k", source)
    assert got["call"] == 2 and time.monotonic() - got["at"] < 0.2


def test_readers_at_once_share_one_fetch():
    store, source = RefreshingStore(ttl=10, keep=0), Source(seconds=0.2)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get("k", source))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert source.calls == 1 and all(r["call"] == 1 for r in results)


def test_while_background_fetches_fail_the_last_result_stays_until_its_ttl_then_the_reader_sees_the_failure():
    store, source = RefreshingStore(ttl=2.0, ahead=0.2), Source()
    store.get("k", source)
    source.fail = True
    time.sleep(1.2)  # the background thread has tried (after 0.8 s) and failed
    assert source.calls >= 2
    assert store.get("k", source)["call"] == 1
    time.sleep(1.0)  # now older than the ttl: the reader fetches, and sees the failure
    with pytest.raises(ConnectionError):
        store.get("k", source)
    source.fail = False
    assert store.get("k", source)["call"] > 2


def test_readers_get_copies_and_old_keys_make_room():
    store, source = RefreshingStore(ttl=10, max_entries=2, keep=0), Source()
    store.get("a", source)["call"] = 99
    assert store.get("a", source)["call"] == 1
    store.get("b", source), store.get("c", source)
    assert store.get("a", source)["call"] == 4  # "a" was the least recently read, so it was dropped
    store.clear()
    assert store.get("c", source)["call"] == 5
