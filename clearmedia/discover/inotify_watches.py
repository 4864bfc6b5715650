"""Which folders below the source folders hold no inotify watch of this process.

watchdog 7 adds one inotify watch per folder of a recursive watch and silently skips a subfolder
it cannot watch: `InotifyWatchGroup._add_callback` swallows every OSError (ENOSPC, the
fs.inotify.max_user_watches limit, included) for any path but the watched root, at start and for
folders created later. Only a failure on the root itself reaches the caller. So the watch limit
hides itself and downloads in unwatched folders wait for the next rescan.

The kernel lists every watch of an inotify descriptor in /proc/self/fdinfo/<fd> (proc(5):
`inotify wd:N ino:HEX sdev:HEX ...`): a folder whose inode is in none of them gets no events.
Inodes alone are compared (not sdev: its encoding differs from st_dev, and btrfs subvolumes
report another device to stat than to inotify).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable

INOTIFY_LINK = "anon_inode:inotify"


def watched_inodes(proc: str = "/proc/self") -> set[int] | None:
    """Inodes watched by this process's inotify descriptors; None when /proc cannot tell."""
    try:
        fds = os.listdir(f"{proc}/fd")
    except OSError:
        return None
    inodes: set[int] = set()
    for fd in fds:
        try:
            if os.readlink(f"{proc}/fd/{fd}") != INOTIFY_LINK:
                continue
            with open(f"{proc}/fdinfo/{fd}") as info:
                lines = info.read().splitlines()
        except OSError:
            continue  # closed meanwhile
        for line in lines:
            if line.startswith("inotify wd:"):
                for field in line.split():
                    if field.startswith("ino:"):
                        inodes.add(int(field[4:], 16))
    return inodes


def is_unwatched(folder: str, watched: set[int]) -> bool:
    """A readable real folder (not a symlink) whose inode no inotify watch of ours holds."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False  # gone: nothing to watch
    # inotify_add_watch needs read permission: an unreadable folder is no sign of the limit.
    return stat.S_ISDIR(st.st_mode) and st.st_ino not in watched and os.access(folder, os.R_OK)


def unwatched_folders(tops: Iterable[str], watched: set[int], wanted: Callable[[str], bool]) -> list[str]:
    """Every unwatched folder in the trees below `tops` (subfolders `wanted` refuses are skipped)."""
    missing: list[str] = []
    for top in tops:
        for folder, dirs, _ in os.walk(top):  # like watchdog: symlinked folders are not entered
            dirs[:] = [d for d in dirs if wanted(os.path.join(folder, d))]
            if is_unwatched(folder, watched):
                missing.append(folder)
    return missing


class WatchAudit:
    """Finds folders that stay without a watch for two looks in a row.

    `look_below(folder)` after the observer started on it or a folder appeared; `check(roots)`
    from one thread now and then. A folder just created gets its watch a moment after its event,
    so a folder counts as missing only when the next look still finds it unwatched.
    """

    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self._wanted = wanted
        self._pending: set[str] = set()
        self._suspects: set[str] = set()
        self._lock = threading.Lock()
        self.enabled = True

    def look_below(self, folder: str) -> None:
        with self._lock:
            self._pending.add(folder)

    def check(self, roots: list[str]) -> list[str]:
        """Folders unwatched at this look and at the previous one ([] when all is well)."""
        with self._lock:
            pending, self._pending = self._pending, set()
        if not self.enabled or (not pending and not self._suspects):
            return []
        watched = watched_inodes()
        if not watched:  # no /proc, or an observer holding no watch: we cannot tell
            self.enabled = False
            return []
        if any(is_unwatched(root, watched) for root in roots):
            self._suspects = set()
            return []  # a root being watched again (see Watcher._rearm) is looked below then
        confirmed = sorted(f for f in self._suspects if is_unwatched(f, watched))
        self._suspects = set(unwatched_folders(pending, watched, self._wanted)) - set(confirmed)
        return confirmed
