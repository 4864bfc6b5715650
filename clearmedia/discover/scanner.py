"""Discover downloads: walk the source folders, filter them, record new videos as PENDING.

A file is known by (device, inode). A full rescan loads the known index with one query and
walks with `os.scandir`; a file whose directory entry (`d_ino`) and path match a known row is
counted as known without even a `stat`, so an unchanged tree costs about what `find` costs.
Everything else is `lstat`ed once, decided on, and new rows are inserted in batches.

Paths are handled as bytes from end to end: names that are not UTF-8 survive untouched.
Symlinks are never followed; source files are never opened.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loguru import logger

from clearmedia.config import Settings
from clearmedia.discover.index import _INT64, QueryIndex, from_db, load_index, to_db
from clearmedia.discover.rules import (
    ARIA2_SUFFIX,
    folder_reason,
    is_incomplete_name,
    name_reason,
    shown,
    skipped_folder,
    video_stem,
)
from clearmedia.discover.walk import walk
from clearmedia.files import is_file_at
from clearmedia.store import queue
from clearmedia.store.db import open_database
from clearmedia.store.models import Meta, Status
from clearmedia.store.writer import RowWriter, batch_size

MB = 1024 * 1024
PENDING, IGNORED = Status.PENDING.value, Status.IGNORED.value


def _megabytes(size: int, limit_mb: float) -> str:
    """`size` in MB with one decimal, or more when one would round up to the limit itself."""
    for digits in (1, 2, 3):
        text = f"{size / MB:.{digits}f}"
        if float(text) < limit_mb:
            return text
    return text


@dataclass
class ScanReport:
    """What one pass found. `new`/`ignored` count rows created (or reset) by this pass."""

    seen: int = 0  # video files looked at
    new: int = 0  # recorded PENDING (including an inode reused by a different file)
    known: int = 0  # already recorded (same path, or another hard link of a recorded file)
    moved: int = 0  # recorded file found at a new path: path updated, not reprocessed
    ignored: int = 0  # recorded IGNORED (sample, extra, too small)
    unsettled: int = 0  # modified less than SETTLE_SECONDS ago: looked at again later
    incomplete: int = 0  # still downloading (.part, .!qB, .crdownload, .tmp, NAME.aria2)
    errors: int = 0  # folders or files that could not be read
    new_ids: list[int] = field(default_factory=list)
    #: files not settled yet: `run` hands them to its settle tracker, to be looked at again soon
    unsettled_paths: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.seen} video files seen: {self.new} new, {self.known} known, {self.moved} moved, "
            f"{self.ignored} ignored, {self.unsettled} unsettled, {self.incomplete} incomplete, "
            f"{self.errors} unreadable ({self.seconds:.2f} s)"
        )


class _Pass:
    """The state of one pass (a full scan or one watcher path): index, pending rows, report."""

    def __init__(self, scanner: Scanner, db, known, threaded: bool = False):
        self.scanner = scanner
        self.settings = scanner.settings
        self.db = db
        self.known = known
        self.report = ScanReport()
        self.now = time.time()
        self.settle = scanner.settings.settle_seconds
        self.min_size = scanner.settings.min_file_size_bytes
        self.pending: list[tuple] = []
        self.excluded = scanner.excluded_keys()
        self.writer = RowWriter(db, threaded)
        self.batch = batch_size(db)
        # Devices of the recorded files. NFS, SMB, FUSE (mergerfs) and btrfs may number their
        # device differently after a remount: a known path on an unseen device is checked.
        self.devices = set(known) if isinstance(known, dict) else set()
        self.by_path: dict[bytes, tuple[int, int]] | None = None
        self.renumbered: list[tuple[int, int]] = []
        self.stop = None  # an Event that ends the walk early (a stop signal)

    def finish(self) -> ScanReport:
        """Write what is still pending and return the complete report."""
        self.flush()
        self._write_renumbered()
        self.writer.close(self.report)
        return self.report

    def walk(self, start: bytes, device: int, source_root: bytes, extra: str | None) -> None:
        """Walk `start` below `source_root`, deciding on every candidate file (see `walk.walk`)."""
        walk(
            start,
            device,
            source_root,
            extra,
            known=self.known,
            excluded=self.excluded,
            report=self.report,
            found=self._file,
            stop=self.stop,
        )

    def _file(
        self, path: bytes, stem: bytes, st: os.stat_result, source_root: bytes, extra: str | None
    ) -> str:
        """Decide on one regular, visible, complete video file (`stem`: its lower-case name
        without extension); return what happened, or "queued" when a new row waits in `pending`."""
        report = self.report
        report.seen += 1
        device, inode = st.st_dev, st.st_ino
        sub = self.known.get(device)
        if sub is None:
            sub = self.known.setdefault(device, {})
        old = sub.get(inode)
        reuse_id = None
        if old is not None:
            seen, reuse_id = self._recorded(sub, old, path, st, source_root)
            if seen is not None:
                return seen
        elif self.devices and device not in self.devices and self._renumbered(path, device, inode, st):
            report.known += 1
            sub[inode] = path
            return "known"
        if self.settle and self.now - st.st_mtime < self.settle:
            report.unsettled += 1
            report.unsettled_paths.append(os.fsdecode(path))
            return "unsettled"
        reason = extra or name_reason(stem)
        if reason is None and st.st_size < self.min_size:
            limit = self.settings.min_file_size_mb
            reason = f"too small: {_megabytes(st.st_size, limit)} MB is under MIN_FILE_SIZE_MB={limit:g}"
        sub[inode] = path
        if reuse_id is not None:
            self._reset(reuse_id, path, source_root, st, reason)
            return "ignored" if reason else "new"
        self._queue(path, st, source_root, reason)
        return "queued"

    def _recorded(
        self, sub: dict, old: bytes, path: bytes, st: os.stat_result, source_root: bytes
    ) -> tuple[str | None, int | None]:
        """A file whose (device, inode) is recorded at `old` (`sub`: the known inodes of its
        device): ("known"/"moved", None) when it is that file, else (None, the row id to reuse:
        the inode now belongs to another file)."""
        device, inode = st.st_dev, st.st_ino
        if old == path or is_file_at(old, device, inode):
            self.report.known += 1  # the same path, or another hard link of a recorded file
            return "known", None
        row = self.db.execute_sql(
            "SELECT id, size, mtime FROM media_file WHERE device = ? AND inode = ?",
            (to_db(device), to_db(inode)),
        ).fetchone()
        if row is not None and row[1] == st.st_size and row[2] == st.st_mtime:
            self._moved(row[0], old, path, source_root)
            sub[inode] = path
            return "moved", None
        return None, (row[0] if row is not None else None)

    def _queue(self, path: bytes, st: os.stat_result, source_root: bytes, reason: str | None) -> None:
        """Keep a new row for the next write (written at once when a batch is full)."""
        device, inode = st.st_dev, st.st_ino
        self.pending.append(
            (
                device if device < _INT64 else to_db(device),
                inode if inode < _INT64 else to_db(inode),
                path,
                source_root,
                st.st_size,
                st.st_mtime,
                IGNORED if reason else PENDING,
                reason,
                0,
                0,
                self.now,
                self.now,
            )
        )
        if len(self.pending) >= self.batch:
            self.flush()

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Hand the pending rows to the writer."""
        if self.pending:
            rows, self.pending = self.pending, []
            self.writer.write(rows)

    def _renumbered(self, path: bytes, device: int, inode: int, st: os.stat_result) -> bool:
        """Is this a recorded file (same path, inode, size, mtime) whose device number changed?"""
        if self.by_path is None:
            self.by_path = {p: (d, i) for d, sub in self.known.items() for i, p in sub.items()}
        recorded = self.by_path.get(path)
        if recorded is None or recorded[1] != inode:
            return False
        row = self.db.execute_sql(
            "SELECT id, size, mtime FROM media_file WHERE device = ? AND inode = ?",
            (to_db(recorded[0]), to_db(inode)),
        ).fetchone()
        if row is None or row[1] != st.st_size or row[2] != st.st_mtime:
            return False
        self.renumbered.append((to_db(device), row[0]))
        if len(self.renumbered) >= self.batch:
            self._write_renumbered()
        return True

    def _write_renumbered(self) -> None:
        if self.renumbered:
            rows, self.renumbered = self.renumbered, []
            queue.renumber_devices(rows)
            logger.info("{} known files are now on device number {}", len(rows), from_db(rows[-1][0]))

    def _moved(self, file_id: int, old: bytes, path: bytes, source_root: bytes) -> None:
        queue.record_move(file_id, path, source_root)
        self.report.moved += 1
        logger.debug("moved #{}: {} -> {}", file_id, shown(old), shown(path))

    def _reset(self, file_id: int, path: bytes, source_root: bytes, st, reason: str | None) -> None:
        """An inode reused by a different file: the row starts over as a new file."""
        queue.restart_reused(file_id, path, source_root, st.st_size, st.st_mtime, reason)
        if reason:
            self.report.ignored += 1
            logger.debug("ignored #{} {} (reused inode): {}", file_id, shown(path), reason)
        else:
            self.report.new += 1
            self.report.new_ids.append(file_id)
            logger.debug("new file #{} (reused inode): {}", file_id, shown(path))


class Scanner:
    """Finds settled videos below the source folders and records them (see the module docstring)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sources: list[bytes] = [os.fsencode(os.path.abspath(p)) for p in settings.source_dirs]
        self.last_report: ScanReport | None = None

    def _database(self):
        """The database of DATA_DIR (`open_database` is idempotent and guarded by its lock)."""
        return open_database(self.settings.data_dir)

    def excluded_keys(self) -> set[tuple[int, int]]:
        """(device, inode) of folders never walked into: TARGET_DIR, DATA_DIR, and source folders
        (a source folder inside another one is walked on its own, so it is its files' source_root)."""
        keys = set()
        folders: Iterable = (self.settings.target_dir, self.settings.data_dir, *self.sources)
        for folder in folders:
            if folder is None:
                continue
            try:
                st = os.stat(folder)
            except OSError:
                continue
            keys.add((st.st_dev, st.st_ino))
        return keys

    def scan_all(self, stop=None) -> ScanReport:
        """Walk every source folder, record what is new, write `Meta.last_scan`; return the report.

        `stop` (an Event) ends the walk early; what was found so far is still recorded."""
        started = time.monotonic()
        db = self._database()
        run = _Pass(self, db, load_index(db), threaded=True)
        run.stop = stop
        for root in self.sources:
            try:
                st = os.lstat(root)
            except OSError as error:
                run.report.errors += 1
                logger.warning("cannot read source folder {}: {}", shown(root), error.strerror or error)
                continue
            try:
                run.walk(root, st.st_dev, root, None)
            except BaseException:
                run.writer.stop()
                raise
        report = run.finish()
        if stop is None or not stop.is_set():
            Meta.set_value("last_scan", datetime.now(UTC).isoformat(timespec="seconds"))
        report.seconds = time.monotonic() - started
        changed = report.new or report.moved or report.ignored or report.errors
        (logger.info if changed else logger.debug)("scan: {}", report.summary())
        self.last_report = report
        return report

    def _root_for(self, path: bytes) -> bytes | None:
        """The innermost source folder holding `path`, or None."""
        best = None
        for root in self.sources:
            if (path == root or path.startswith(root.rstrip(b"/") + b"/")) and (
                best is None or len(root) > len(best)
            ):
                best = root
        return best

    def consider(self, path: Path | str | bytes) -> str:
        """Decide on one path handed over by the watcher; return what happened to it.

        A file gives "new", "known", "moved", "ignored", "unsettled", "incomplete" or "skipped"
        (not a video, gone, hidden, outside the source folders, below TARGET_DIR/DATA_DIR, or
        reached through a symlink). A folder (moved in whole) is walked and gives "folder";
        `last_report` then tells what was found in it.
        """
        raw = os.fsencode(os.path.abspath(os.fsencode(path)))
        root = self._root_for(raw)
        if root is None:
            return "skipped"
        db = self._database()
        run = _Pass(self, db, QueryIndex(db))
        self.last_report = run.report
        parts = [p for p in raw[len(root) :].split(b"/") if p]
        folder, extra = root, None
        try:
            for part in parts[:-1]:
                folder = folder + b"/" + part
                if not self._walkable(part, os.lstat(folder), run):
                    return "skipped"
                extra = extra or folder_reason(part)
            st = os.lstat(raw)
        except OSError:
            return "skipped"
        if stat.S_ISDIR(st.st_mode):
            if parts and not self._walkable(parts[-1], st, run):
                return "skipped"
            if parts:
                extra = extra or folder_reason(parts[-1])
            run.walk(raw, st.st_dev, root, extra)
            run.finish()
            return "folder"
        if not stat.S_ISREG(st.st_mode):
            return "skipped"
        name = parts[-1]
        stem = video_stem(name.lower())
        if stem is None:
            if is_incomplete_name(name.lower()):
                run.report.incomplete += 1
                return "incomplete"
            return "skipped"
        if name[:1] == b".":
            return "skipped"
        if os.path.lexists(raw + ARIA2_SUFFIX):
            run.report.seen += 1
            run.report.incomplete += 1
            return "incomplete"
        outcome = run._file(raw, stem, st, root, extra)
        if outcome == "queued":
            report = run.finish()
            return "new" if report.new else "ignored" if report.ignored else "known"  # known: a race
        return outcome

    @staticmethod
    def _walkable(name: bytes, st: os.stat_result, run: _Pass) -> bool:
        return (
            stat.S_ISDIR(st.st_mode)
            and not skipped_folder(name)
            and (st.st_dev, st.st_ino) not in run.excluded
        )
