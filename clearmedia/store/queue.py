"""The work queue on SQLite: claim, finish, requeue with delay, reclaim files of dead claimers.

A claim is one `BEGIN IMMEDIATE` transaction running
`UPDATE … SET status='PROCESSING' WHERE id = (SELECT … LIMIT 1) RETURNING …`, so any number of
threads and processes on one database never claim one file twice. Every later change to a
claimed file checks that this claimer still holds it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from functools import cache

from peewee import fn

from clearmedia.errors import Reason
from clearmedia.store.models import ManualMatch, MediaFile, Status, Subtitle

MAX_RETRY_DELAY = 3600
#: A claim by another host is only taken back after this long (its process cannot be checked).
FOREIGN_CLAIM_TIMEOUT = 6 * 3600


def _process_start(pid: int) -> str | None:
    """The start time of `pid` from /proc (tells a live claimer from a reused pid), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()
    except (OSError, IndexError):
        return None


@cache
def _claimer_for(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or 0}"


def claimer_id() -> str:
    """`host:pid:start` of this process: enough to tell later whether it is still alive."""
    return _claimer_for(os.getpid())


def claimer_alive(claimer: str) -> bool:
    """Is the process behind `claimer` (from this host) still running?"""
    host, _, rest = claimer.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname():
        return True
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    current = _process_start(pid)
    return current is not None and (start == "0" or current == start)


#: One statement, prepared once: peewee would spend ~1 ms of Python building it for every claim
#: (tests/benchmarks/bench_claims.py), several times what SQLite needs to run it.
_CLAIM_SQL = (
    "UPDATE media_file SET status = ?, claimed_by = ?, claimed_at = ?, updated_at = ? "
    "WHERE id = (SELECT id FROM media_file WHERE status = ? AND next_attempt_at <= ? "
    "ORDER BY next_attempt_at, id LIMIT 1) AND status = ? RETURNING *"
)


def claim(claimer: str | None = None, now: float | None = None) -> MediaFile | None:
    """Claim the next due PENDING file for `claimer`; return it, or None when nothing is due."""
    claimer = claimer or claimer_id()
    now = time.time() if now is None else now
    db = MediaFile._meta.database
    params = (Status.PROCESSING.value, claimer, now, now, Status.PENDING.value, now, Status.PENDING.value)
    with db.atomic("IMMEDIATE"):
        rows = list(MediaFile.raw(_CLAIM_SQL, *params))
    return rows[0] if rows else None


_DUE_SQL = "SELECT id, path FROM media_file WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
#: Due files directly in one folder (path = folder + "/" + a name without "/"), compared as bytes.
_FOLDER_SQL = (
    "SELECT id FROM media_file WHERE status = ? AND next_attempt_at <= ? AND substr(path, 1, ?) = ? "
    "AND instr(substr(path, ?), ?) = 0 ORDER BY next_attempt_at, id LIMIT ?"
)


def claim_batch(claimer: str | None = None, limit: int = 1, now: float | None = None) -> list[MediaFile]:
    """Claim up to `limit` due PENDING files in one transaction, for one LLM request: the next due
    file, the other due files of its folder (a season pack), then other due files in due order.
    Return them in that order ([] when nothing is due). A crash leaves each reclaimable like `claim`."""
    if limit <= 1:
        file = claim(claimer, now)
        return [file] if file is not None else []
    claimer = claimer or claimer_id()
    now = time.time() if now is None else now
    db = MediaFile._meta.database
    pending = Status.PENDING.value
    with db.atomic("IMMEDIATE"):
        due = db.execute_sql(_DUE_SQL, (pending, now, 2 * limit)).fetchall()
        if not due:
            return []
        prefix = os.path.dirname(bytes(due[0][1])) + b"/"
        folder = (pending, now, len(prefix), prefix, len(prefix) + 1, b"/", limit)
        chosen = [row[0] for row in db.execute_sql(_FOLDER_SQL, folder).fetchall()] or [due[0][0]]
        chosen += [row[0] for row in due if row[0] not in chosen][: limit - len(chosen)]
        marks = ", ".join("?" * len(chosen))
        sql = (
            "UPDATE media_file SET status = ?, claimed_by = ?, claimed_at = ?, updated_at = ? "
            f"WHERE id IN ({marks}) AND status = ? RETURNING *"
        )
        rows = list(MediaFile.raw(sql, Status.PROCESSING.value, claimer, now, now, *chosen, pending))
    order = {file_id: index for index, file_id in enumerate(chosen)}
    return sorted(rows, key=lambda row: order[row.id])


def claim_file(
    file_id: int, claimer: str | None = None, as_read: MediaFile | None = None
) -> MediaFile | None:
    """Claim one named file whatever its state (`fix`, `unlink`, `add`); None when it is unknown or
    being processed right now (by a worker or another command; a dead process's claim is taken). With `as_read`, only while the
    row still has the status and target it was read with (`relink` read it a while ago)."""
    claimer = claimer or claimer_id()
    now = time.time()
    sql = (
        "UPDATE media_file SET status = ?, claimed_by = ?, claimed_at = ?, updated_at = ? "
        "WHERE id = ? AND status != ?"
    )
    params = [Status.PROCESSING.value, claimer, now, now, file_id, Status.PROCESSING.value]
    if as_read is not None:
        sql += " AND status = ? AND target IS ?"
        fields = MediaFile._meta.fields
        params += [fields["status"].db_value(as_read.status), fields["target"].db_value(as_read.target)]
    with MediaFile._meta.database.atomic("IMMEDIATE"):
        _reclaim_one(file_id, now)
        rows = list(MediaFile.raw(sql + " RETURNING *", *params))
    return rows[0] if rows else None


def _reclaim_one(file_id: int, now: float) -> None:
    """A row left PROCESSING by a dead process is PENDING again (what `reclaim_dead` would do),
    so a command naming it need not wait for a `run` or `scan` to start."""
    row = MediaFile.select(MediaFile.status, MediaFile.claimed_by).where(MediaFile.id == file_id).first()
    if row is None or row.status != Status.PROCESSING:
        return
    if row.claimed_by is not None and claimer_alive(row.claimed_by):
        return
    MediaFile.update(
        status=Status.PENDING, claimed_by=None, claimed_at=None, next_attempt_at=now, updated_at=now
    ).where((MediaFile.id == file_id) & (MediaFile.status == Status.PROCESSING)).execute()


@cache
def _update_sql(names: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{MediaFile._meta.fields[name].column_name}" = ?' for name in names)
    return f"UPDATE media_file SET {columns} WHERE id = ? AND status = ? AND claimed_by IS ?"


def _update_claimed(file: MediaFile, **fields) -> bool:
    """Apply `fields` to `file` if its claimer still holds it; True when the row changed."""
    fields.setdefault("updated_at", time.time())
    fields.setdefault("claimed_by", None)
    fields.setdefault("claimed_at", None)
    names = tuple(fields)
    values = [MediaFile._meta.fields[name].db_value(fields[name]) for name in names]
    values += [file.id, Status.PROCESSING.value, file.claimed_by]
    changed = MediaFile._meta.database.execute_sql(_update_sql(names), values).rowcount
    if changed:
        for name, value in fields.items():
            setattr(file, name, value)
    return bool(changed)


def finish(
    file: MediaFile, status: Status, error: str | None = None, reason: Reason | None = None, **fields
) -> bool:
    """Record a final outcome (COMPLETED, FAILED, CONFLICT, IGNORED) of a claimed file, with the
    reason as a code (None for COMPLETED) and in words (`error`)."""
    return _update_claimed(file, status=status, error=error, reason_code=reason, **fields)


def retry_delay(attempts: int, base: int) -> float:
    """RETRY_DELAY doubled for each attempt already spent, at most one hour."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def requeue(
    file: MediaFile,
    reason: str,
    *,
    max_attempts: int,
    base_delay: int,
    spend_attempt=True,
    code: Reason = Reason.NETWORK,
) -> Status:
    """Put a claimed file back to PENDING after a transient failure, or FAILED after the last try.

    With `spend_attempt=False` (a configuration problem such as a rejected API key) the file
    waits without using up its attempts.
    """
    attempts = file.attempts + (1 if spend_attempt else 0)
    if attempts >= max_attempts:
        error = f"gave up after {attempts} attempts: {reason}"
        _update_claimed(file, status=Status.FAILED, error=error, reason_code=code, attempts=attempts)
        return Status.FAILED
    delay = retry_delay(max(attempts, 1), base_delay)
    _update_claimed(
        file,
        status=Status.PENDING,
        error=reason,
        reason_code=code,
        attempts=attempts,
        next_attempt_at=time.time() + delay,
    )
    return Status.PENDING


def release(file: MediaFile) -> bool:
    """Give an unfinished claim back (graceful stop): PENDING, due now, no attempt spent."""
    return _update_claimed(file, status=Status.PENDING, next_attempt_at=time.time())


def reclaim_dead(now: float | None = None) -> int:
    """Put files left PROCESSING by dead processes back to PENDING; return how many."""
    now = time.time() if now is None else now
    claimers = [
        row.claimed_by
        for row in MediaFile.select(MediaFile.claimed_by)
        .where(MediaFile.status == Status.PROCESSING)
        .distinct()
    ]
    count = 0
    for claimer in claimers:
        stale = MediaFile.claimed_at < now - FOREIGN_CLAIM_TIMEOUT
        query = MediaFile.update(
            status=Status.PENDING, claimed_by=None, claimed_at=None, next_attempt_at=now, updated_at=now
        ).where((MediaFile.status == Status.PROCESSING) & (MediaFile.claimed_by == claimer))
        if claimer is None or not claimer_alive(claimer):
            count += query.execute()
        else:
            count += query.where(stale).execute()
    return count


def retry(ids: Iterable[int] = (), statuses: Iterable[str] = (Status.FAILED,)) -> int:
    """Set the named files, or every file in `statuses`, to PENDING due now with attempts 0."""
    ids = list(ids)
    where = MediaFile.id.in_(ids) if ids else MediaFile.status.in_(list(statuses))
    return (
        MediaFile.update(
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=0,
            error=None,
            reason_code=None,
            claimed_by=None,
            claimed_at=None,
            updated_at=time.time(),
        )
        .where(where & (MediaFile.status != Status.PROCESSING))
        .execute()
    )


# --- what the scanner finds about known files -----------------------------------------------


def record_move(file_id: int, path: bytes, source_root: bytes) -> None:
    """A known file found at a new path: follow it; if a worker had found it gone, it is back
    (PENDING, due now) — decided by its reason code, never by the words of its error."""
    now = time.time()
    MediaFile.update(path=path, source_root=source_root, updated_at=now).where(
        MediaFile.id == file_id
    ).execute()
    MediaFile.update(status=Status.PENDING, error=None, reason_code=None, next_attempt_at=0).where(
        (MediaFile.id == file_id)
        & (MediaFile.status == Status.FAILED)
        & (MediaFile.reason_code == Reason.SOURCE_GONE)
    ).execute()


def restart_reused(
    file_id: int, path: bytes, source_root: bytes, size: int, mtime: float, reason: str | None
):
    """An inode reused by a different file: its row starts over as a new file (IGNORED with
    `reason`, else PENDING), its subtitles forgotten."""
    now = time.time()
    with MediaFile._meta.database.atomic("IMMEDIATE"):
        MediaFile.update(
            path=path,
            source_root=source_root,
            size=size,
            mtime=mtime,
            status=Status.IGNORED if reason else Status.PENDING,
            error=reason,
            reason_code=None,
            attempts=0,
            next_attempt_at=0,
            claimed_by=None,
            claimed_at=None,
            parse=None,
            media_type=None,
            tmdb_id=None,
            title=None,
            year=None,
            season=None,
            episodes=None,
            target=None,
            match_source=None,
            updated_at=now,
        ).where(MediaFile.id == file_id).execute()
        Subtitle.delete().where(Subtitle.video == file_id).execute()
        ManualMatch.delete().where(ManualMatch.file == file_id).execute()  # `fix` chose for the old file


def remember_subtitle(video_id: int, source: str, target: str) -> None:
    """A subtitle linked beside its video's library file (`list --json` shows it)."""
    Subtitle.insert(path=source, video=video_id, target=target).on_conflict(
        conflict_target=[Subtitle.path], update={Subtitle.video: video_id, Subtitle.target: target}
    ).execute()


def renumber_devices(rows: list[tuple[int, int]]) -> None:
    """Known files whose file system got a new device number (a remount): (device, id) pairs."""
    db = MediaFile._meta.database
    with db.atomic("IMMEDIATE"):
        db.cursor().executemany("UPDATE OR IGNORE media_file SET device = ? WHERE id = ?", rows)


def counts() -> dict[str, int]:
    """Number of files per status, every status present (0 when none)."""
    result = {status.value: 0 for status in Status}
    query = MediaFile.select(MediaFile.status, fn.COUNT(MediaFile.id).alias("n")).group_by(MediaFile.status)
    for row in query:
        result[row.status] = row.n
    return result


def next_due_in(now: float | None = None) -> float | None:
    """Seconds until the next PENDING file is due (0 if one is due now), None if none waits."""
    now = time.time() if now is None else now
    soonest = (
        MediaFile.select(fn.MIN(MediaFile.next_attempt_at)).where(MediaFile.status == Status.PENDING).scalar()
    )
    return None if soonest is None else max(0.0, soonest - now)
