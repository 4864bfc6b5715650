"""Claim due files in batches and read their names with one LLM request per batch.

`ReadAhead` is the `claim` of a `WorkerPool`: called by any worker, it hands out one claimed file.
When it has none left it claims up to LLM_BATCH_SIZE due files in one transaction (one source
folder first, so a season pack is one request), asks the LLM about the names that need it in one
request, and keeps the rest for the next calls — from any worker, so a batch is processed by all
of them in parallel. Each file is then processed exactly as before: its own `parse` gets the
reading the batch request brought (`identify/llm_batch.py`).

A crash leaves every file of a batch PROCESSING under this process, reclaimed like any claim;
a clean stop gives the files not yet handed out back, those whose names are still being read
included (`release_all`). Without the LLM, or with
LLM_BATCH_SIZE=1, it claims one file at a time as it always did.

`DryRunSource` is the same for DRY_RUN (nothing claimed), and `read_names` the batch request
itself, for `add`.
"""

from __future__ import annotations

import os
import threading
from collections import deque

from loguru import logger

from clearmedia.config import Settings
from clearmedia.identify import readable_name
from clearmedia.identify.path_ids import tmdb_id_in_path
from clearmedia.store import queue
from clearmedia.store.models import MediaFile, Status


class ReadAhead:
    """A callable `claim()` for the worker pool that claims and reads names a batch at a time."""

    def __init__(self, settings: Settings, identifier, claimer: str | None = None) -> None:
        self.settings = settings
        self.identifier = identifier
        self.claimer = claimer or queue.claimer_id()
        self.size = batch_size(settings)
        self._lock = threading.Lock()  # guards everything below
        self._waiting: deque[MediaFile] = deque()
        self._reading: dict[int, MediaFile] = {}  # claimed, names being read by the LLM
        self._fetching = 0  # workers claiming a batch right now
        self._closed = False  # release_all ran: claim nothing more, hand nothing out

    def __call__(self) -> MediaFile | None:
        return self.claim()

    def claim(self) -> MediaFile | None:
        """The next claimed file: one kept from a batch, else the first of a new batch, else None.

        When fewer than a batch are kept, one worker claims and reads the next batch before
        taking its file, while the others go on with what is kept: the pool never waits for the
        LLM all at once.
        """
        if self.size <= 1:
            return None if self._closed else queue.claim(self.claimer)
        with self._lock:
            if self._closed:
                return None
            file = self._waiting.popleft() if self._waiting else None
            fetch = file is None or (len(self._waiting) < self.size and not self._fetching)
            self._fetching += fetch
        if not fetch:
            return file
        try:
            files = self._fetch()
        except BaseException:  # the database refused the claim: the kept file waits for the next call
            with self._lock:
                self._fetching -= 1
                if file is not None and not self._closed:
                    self._waiting.appendleft(file)
                    file = None
            _release(file)
            raise
        return self._keep(file, files)

    def _keep(self, file: MediaFile | None, files: list[MediaFile]) -> MediaFile | None:
        """After a fetch: keep `files` for later calls and return `file`, else the first of
        `files` — unless `release_all` ran meanwhile (it gave back what was kept or being read):
        then give back `file` too and return None."""
        with self._lock:
            self._fetching -= 1
            for each in files:
                self._reading.pop(each.id, None)
            if not self._closed:
                if file is None and files:
                    file, files = files[0], files[1:]
                self._waiting.extend(files)
                return file
        _release(file)
        return None

    def _fetch(self) -> list[MediaFile]:
        """Claim the next batch and read its names (any worker may; each claims other files)."""
        files = queue.claim_batch(self.claimer, self.size)
        with self._lock:
            closed = self._closed
            if not closed:
                self._reading.update((file.id, file) for file in files)
        if closed:
            _release(*files)
            return []
        if len(files) > 1:
            self._read(files)
        return files

    def release_all(self) -> int:
        """Stop: give every file claimed but not handed out (kept, or its name being read) back to
        PENDING, and claim nothing more; return how many."""
        with self._lock:
            self._closed = True
            given = [*self._waiting, *self._reading.values()]
            self._waiting.clear()
            self._reading.clear()
        return _release(*given)

    def _read(self, files: list[MediaFile]) -> None:
        read_names(self.settings, self.identifier, files)


class DryRunSource:
    """DRY_RUN: hand each PENDING file to a worker once, without claiming (no state changes),
    reading the names of LLM_BATCH_SIZE files in one request like `ReadAhead`.

    New files get ever larger ids, so one query for the next ids past the last one handed out
    finds them without rereading the whole backlog on every call.
    """

    def __init__(self, settings: Settings, identifier) -> None:
        self.settings = settings
        self.identifier = identifier
        self.size = batch_size(settings)
        self._last_id = 0
        self._lock = threading.Lock()
        self._waiting: deque[MediaFile] = deque()

    def claim(self) -> MediaFile | None:
        with self._lock:  # the other workers wait for the batch their files are read in
            if not self._waiting:
                files = list(
                    MediaFile.select()
                    .where((MediaFile.status == Status.PENDING) & (MediaFile.id > self._last_id))
                    .order_by(MediaFile.id)
                    .limit(self.size)
                )
                if files:
                    self._last_id = files[-1].id
                    read_names(self.settings, self.identifier, files)
                self._waiting.extend(files)
            return self._waiting.popleft() if self._waiting else None


def _release(*files: MediaFile | None) -> int:
    """Give claimed files back to PENDING; return how many went back (a failure is logged: the
    next start reclaims them)."""
    released = 0
    for file in files:
        if file is None:
            continue
        try:
            released += bool(queue.release(file))
        except Exception:
            logger.exception("could not release {}; the next start reclaims it", file.path)
    return released


def batch_size(settings: Settings) -> int:
    """Names per LLM request: LLM_BATCH_SIZE with the LLM, else 1 (the rules read locally)."""
    return settings.llm_batch_size if settings.effective_parser == "llm" else 1


def read_names(settings: Settings, identifier, files: list[MediaFile]) -> None:
    """Ask the LLM about the names of `files` that need it, in one request (best effort: a file
    whose name was not read here is read alone when it is processed)."""
    size = batch_size(settings)
    parse_many = getattr(identifier.parser, "parse_many", None) if size > 1 else None
    if parse_many is None or len(files) < 2:
        return
    names = [readable_name(file.relative_path) for file in files if _needs_llm(settings, file)]
    if len(names) < 2:
        return
    try:
        parse_many(names, size)
    except Exception:
        logger.exception("reading {} names in one LLM request failed; each is read alone", len(names))


def _needs_llm(settings: Settings, file: MediaFile) -> bool:
    """Files the pipeline decides without the LLM stay out of the request: gone, on another file
    system than TARGET_DIR, a TMDB id in the path, or a work chosen with `fix`."""
    if tmdb_id_in_path(readable_name(file.relative_path)) is not None:
        return False
    try:
        device = os.stat(file.path).st_dev
        target = os.stat(settings.target_dir).st_dev
    except OSError:
        return os.path.exists(file.path)
    return device == target and not _fixed(file)


def _fixed(file: MediaFile) -> bool:
    try:
        from clearmedia.store import overrides

        return overrides.lookup(file) is not None
    except Exception:  # no `fix` table in this database yet
        return False
