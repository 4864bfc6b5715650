"""Reasons are codes, not words: the one exception→outcome table, the scanner reviving a file
found gone by its code, disk causes in words, and the one Retry-After reader."""

from __future__ import annotations

import errno
import time
from email.utils import formatdate

from clearmedia import http
from clearmedia.errors import (
    IdentifyError,
    LibraryDiskError,
    Reason,
    ServiceConfigError,
    TransientError,
    disk_cause,
)
from clearmedia.pipeline import Action, outcome_of
from clearmedia.store import queue
from clearmedia.store.models import MediaFile, Status


def test_each_exception_has_one_outcome_and_a_code():
    assert outcome_of(ServiceConfigError("key rejected"))[:2] == (Action.WAIT, Reason.KEY_REJECTED)
    assert outcome_of(LibraryDiskError("library disk full"))[:2] == (Action.RETRY, Reason.LIBRARY_DISK)
    assert outcome_of(TransientError("timeout"))[:2] == (Action.RETRY, Reason.NETWORK)
    assert outcome_of(IdentifyError("no match"))[:2] == (Action.FAIL, Reason.NOT_IDENTIFIED)
    action, code, words = outcome_of(KeyError("x"))
    assert (action, code) == (Action.RETRY, Reason.INTERNAL) and "KeyError" in words


def test_a_file_found_gone_is_revived_by_its_code_whatever_its_words(db, tmp_path):
    now = time.time()
    row = MediaFile.create(
        device=1, inode=2, path=b"/d/old.mkv", source_root=b"/d", size=1, mtime=now,
        status=Status.FAILED, error="reworded: the file went away", reason_code=Reason.SOURCE_GONE,
    )  # fmt: skip
    other = MediaFile.create(
        device=1, inode=3, path=b"/d/x.mkv", source_root=b"/d", size=1, mtime=now,
        status=Status.FAILED, error="the file is no longer in the download folder", reason_code=Reason.NOT_IDENTIFIED,
    )  # fmt: skip
    queue.record_move(row.id, b"/d/new.mkv", b"/d")
    queue.record_move(other.id, b"/d/y.mkv", b"/d")
    assert MediaFile.get_by_id(row.id).status == Status.PENDING
    assert MediaFile.get_by_id(other.id).status == Status.FAILED  # same words, other code: stays


def test_disk_errors_are_named_in_words():
    assert disk_cause(OSError(errno.ENOSPC, "x"), "library") == "library disk full"
    assert disk_cause(OSError(errno.EROFS, "x"), "library") == "library is read-only"
    assert disk_cause(OSError(errno.EDQUOT, "x"), "library") == "library disk quota exceeded"
    assert disk_cause(OSError(errno.ENOENT, "x"), "library") is None


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert http.retry_after({"retry-after": "7"}) == 7.0
    assert http.retry_after({"retry-after-ms": "1500"}) == 1.5
    when = http.retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert 25 <= when <= 31
    assert http.retry_after({"retry-after": "soon"}) is None
    assert http.retry_after({}) is None


def test_scrub_hides_secrets_and_their_url_quoted_forms():
    text = "GET /3/search?api_key=abc%2F123&q=x token a/b+c failed: abc/123"
    scrubbed = http.scrub(text, ["abc/123", "a/b+c"])
    assert "abc" not in scrubbed and "a/b+c" not in scrubbed
