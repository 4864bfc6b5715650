"""Many files in one LLM request (LLM_BATCH_SIZE): one request per season pack, each item checked on
its own (out of order, missing, repeated, malformed), whole failures split, atomic batch claims,
crash and stop behaviour, and the usage totals `status --json` and `scan` show."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearmedia.errors import ServiceConfigError
from clearmedia.identify.llm import CircuitBreaker, LLMParser
from clearmedia.identify.llm_batch import batch_message, batch_system_prompt
from clearmedia.store import queue, usage
from clearmedia.store.models import MediaFile, Status
from tests.fakes.fake_llm import API_KEY, FakeLLM
from tests.fakes.fake_llm_batch import asked_paths, batch_flaws, batch_requests, paths_of
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import REPO, make_video, run_cli

PACK = "Breaking.Bad.S02.1080p.BluRay.x264-ROVERS"
EPISODES = [f"{PACK}/Breaking.Bad.S02E{e:02d}.1080p.BluRay.x264-ROVERS.mkv" for e in range(1, 13)]


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def parser(fake, db):
    llm = LLMParser(
        api_key=API_KEY,
        model="gpt-4o-mini",
        base_url=fake.url,
        backoff_base=0.01,
        timeout=5,
        breaker=CircuitBreaker(threshold=50, pause=0.2),
    )
    yield llm
    llm.close()


def episode_of(path: str) -> int:
    return int(path.split("S02E")[1][:2])


def assert_every_episode_right(results: dict, paths: list[str]) -> None:
    assert list(results) == paths
    for path, parsed in results.items():
        assert not isinstance(parsed, Exception), (path, parsed)
        assert (parsed.title, parsed.season, parsed.episodes) == ("Breaking Bad", 2, (episode_of(path),)), (
            path
        )


def test_a_season_pack_is_one_request_naming_its_folder_once(fake, parser):
    results = parser.parse_many(EPISODES)

    assert_every_episode_right(results, EPISODES)
    [request] = fake.chat_requests()
    user = request["user"]
    assert user.count(PACK) == 1  # the folder's name once, then each file name
    assert all(path.rsplit("/", 1)[1] in user for path in EPISODES)
    assert request["body"]["messages"][0]["content"] == batch_system_prompt()
    # each file's own parse now takes its reading without another request
    assert parser.parse(EPISODES[4]).episodes == (5,)
    assert len(fake.chat_requests()) == 1
    totals = usage.totals()
    assert totals["requests"] == 1 and totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0


def test_out_of_order_missing_repeated_twice_and_malformed_items_each_end_right(fake, parser):
    flaws = batch_flaws(fake)
    flaws.shuffle = True
    flaws.missing.add("S02E05")
    flaws.repeat["S02E03"] = "S02E02"  # E03's item carries E02's answer: both are asked again alone
    flaws.twice["S02E07"] = "S02E08"  # E07's key given twice, once with E08's answer
    flaws.malformed.add("S02E09")

    results = parser.parse_many(EPISODES)

    assert_every_episode_right(results, EPISODES)
    alone = [p for r in fake.chat_requests()[1:] for p in paths_of(r)]
    assert sorted(episode_of(p) for p in alone) == [2, 3, 5, 7, 9]  # each asked once, alone
    assert len(fake.chat_requests()) == 6


def test_a_batch_answered_with_prose_is_split_not_retried_whole(fake, parser):
    batch_flaws(fake).unusable = 1
    paths = EPISODES[:4]

    results = parser.parse_many(paths)

    assert_every_episode_right(results, paths)
    sizes = [len(paths_of(r)) for r in fake.chat_requests()]
    assert sizes == [4, 2, 2]


def test_a_refused_batch_is_split_down_to_single_files(fake, parser):
    fake.fail_next(413, count=2, body={"error": {"message": "request too large"}})
    paths = EPISODES[:4]

    results = parser.parse_many(paths)

    assert_every_episode_right(results, paths)
    sizes = [len(paths_of(r)) for r in fake.chat_requests()]
    assert sizes == [4, 2, 1, 1, 2]  # the refused half is split again; the other half is asked whole


def test_a_rejected_key_ends_the_whole_batch_at_once(fake, db):
    llm = LLMParser(api_key="wrong-key", model="gpt-4o-mini", base_url=fake.url, backoff_base=0.01)
    try:
        results = llm.parse_many(EPISODES[:5])
    finally:
        llm.close()
    assert all(isinstance(r, ServiceConfigError) for r in results.values())
    assert len(fake.chat_requests()) == 1
    assert usage.totals()["requests"] == 0  # refused requests are not counted as answered


def test_cached_answers_never_go_into_a_batch_and_a_rerun_asks_nothing(fake, parser):
    for path in EPISODES[:3]:
        parser.parse(path)
    fake.reset()

    parser.parse_many(EPISODES[:6])
    assert [paths_of(r) for r in fake.chat_requests()] == [EPISODES[3:6]]

    fake.reset()
    assert_every_episode_right(parser.parse_many(EPISODES[:6]), EPISODES[:6])
    assert fake.chat_requests() == []


def test_the_prompt_keeps_every_field_and_gives_short_keys():
    text, keys = batch_message(["Movies/A.2001.mkv", "B.2002.mkv", "Movies/C.2003.mkv"])
    assert keys == {"f1": "Movies/A.2001.mkv", "f2": "B.2002.mkv", "f3": "Movies/C.2003.mkv"}
    assert json.loads(text.split("\n", 1)[1]) == {
        "Movies": {"f1": "A.2001.mkv", "f3": "C.2003.mkv"},
        "": {"f2": "B.2002.mkv"},
    }
    prompt = batch_system_prompt()
    for field in (
        '"title"',
        '"alt_title"',
        '"year"',
        '"season"',
        '"episodes"',
        '"absolute_episode"',
        '"air_date"',
    ):
        assert field in prompt
    assert "never as instructions" in prompt or "never instructions" in prompt


# --- claiming a batch ---------------------------------------------------------------------------


def add_rows(paths: list[str], root: str = "/dl", **fields) -> list[int]:
    now = time.time()
    start = MediaFile.select().count()
    for n, path in enumerate(paths):
        MediaFile.create(
            device=1, inode=start + n, path=f"{root}/{path}", source_root=root, size=1, mtime=now, **fields
        )
    return [row.id for row in MediaFile.select(MediaFile.id).order_by(MediaFile.id)][-len(paths) :]


def test_a_batch_claim_takes_one_folder_first_then_other_due_files(db):
    now = time.time()
    film = add_rows(["Film.2001.mkv"], next_attempt_at=now - 100)
    pack = add_rows([f"Show.S01/Show.S01E0{e}.mkv" for e in range(1, 5)], next_attempt_at=now - 50)
    deeper = add_rows(["Show.S01/Extras/Show.S01E01.Commentary.mkv"], next_attempt_at=now - 40)
    other = add_rows(["Other.2002.mkv", "Other.2003.mkv"], next_attempt_at=now - 10)
    add_rows(["Later.2004.mkv"], next_attempt_at=now + 3600)
    add_rows(["Show.S01/Show.S01E09.mkv"], status=Status.COMPLETED)

    first = queue.claim_batch(limit=3, now=now)
    second = queue.claim_batch(limit=20, now=now)

    assert [f.id for f in first] == [
        film[0],
        other[0],
        other[1],
    ]  # the film's folder (the top), then due order
    assert [f.id for f in second] == [*pack, *deeper]
    assert all(f.status == Status.PROCESSING and f.claimed_by == queue.claimer_id() for f in first + second)
    assert queue.claim_batch(limit=20, now=now) == []


CLAIMER = """
import sys, time
from pathlib import Path
from clearmedia.store.db import open_database
from clearmedia.store import queue
open_database(Path(sys.argv[1]))
mine = []
while batch := queue.claim_batch(limit=int(sys.argv[2])):
    mine += [f.id for f in batch]
    if sys.argv[3] == "crash":
        import os; os._exit(0)
print(" ".join(map(str, mine)))
"""


def claim_in_processes(data: Path, count: int, limit: int, mode: str) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(data), str(limit), mode],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(count)
    ]


def test_batch_claims_across_processes_never_give_one_file_twice(tmp_path, db):
    ids = add_rows([f"Pack{n % 7}/E{n:03}.mkv" for n in range(300)])
    processes = claim_in_processes(tmp_path / "data", 4, 20, "all")
    claimed = []
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        claimed += [int(x) for x in out.split()]
    assert sorted(claimed) == sorted(ids)  # each exactly once


def test_a_crash_mid_batch_leaves_every_file_of_it_reclaimable(tmp_path, db):
    add_rows([f"Show.S01/E{n:02}.mkv" for n in range(1, 9)])
    [process] = claim_in_processes(tmp_path / "data", 1, 5, "crash")
    process.communicate(timeout=60)
    assert MediaFile.select().where(MediaFile.status == Status.PROCESSING).count() == 5

    assert queue.reclaim_dead() == 5
    assert MediaFile.select().where(MediaFile.status == Status.PENDING).count() == 8


@contextlib.contextmanager
def read_ahead(tmp_path, env, fake, count: int, batch: str):
    """A ReadAhead over `count` episodes of a season pack on disk and in the database."""
    from clearmedia.config import load_settings
    from clearmedia.identify import Identifier
    from clearmedia.runtime.readahead import ReadAhead

    root = str(tmp_path / "downloads")
    for n, path in enumerate(EPISODES[:count]):
        make_video(tmp_path / "downloads" / path)
        MediaFile.create(device=1, inode=n, path=f"{root}/{path}", source_root=root, size=1, mtime=0)
    env.update(PARSER="llm", OPENAI_BASE_URL=fake.url, OPENAI_API_KEY=API_KEY, LLM_BATCH_SIZE=batch)
    identifier = Identifier(load_settings(environ=env, require_library=True))
    try:
        yield ReadAhead(identifier.settings, identifier)
    finally:
        identifier.close()


def test_files_claimed_in_a_batch_but_not_begun_go_back_at_a_stop(tmp_path, db, env, fake):
    with read_ahead(tmp_path, env, fake, 5, "20") as ahead:
        first = ahead.claim()
        assert len(fake.chat_requests()) == 1 and len(asked_paths(fake)) == 5
        assert ahead.release_all() == 4
    states = {row.id: row.status for row in MediaFile.select()}
    assert states.pop(first.id) == Status.PROCESSING
    assert set(states.values()) == {Status.PENDING}


# --- end to end -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("batch_size", "requests"), [("20", 1), ("1", 6)])
def test_scan_asks_once_per_season_pack_and_shows_the_tokens(tmp_path, env, batch_size, requests):
    downloads = tmp_path / "downloads"
    for path in EPISODES[:6]:
        make_video(downloads / path)
    make_video(downloads / "The.Matrix.1999.[tmdbid-603].1080p.mkv")  # an id in the path: no LLM request
    with FakeTMDB() as tmdb, FakeLLM() as llm:
        env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER="llm", LLM_BATCH_SIZE=batch_size)
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
        flaws = batch_flaws(llm)
        flaws.shuffle = True
        result = run_cli("scan", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert len(llm.chat_requests()) == requests
        assert len(batch_requests(llm)) == (1 if batch_size == "20" else 0)
        assert sorted(asked_paths(llm)) == sorted(EPISODES[:6])
    rows = json.loads(run_cli("list", "--json", env=env, cwd=tmp_path).stdout)
    assert {r["status"] for r in rows} == {"COMPLETED"}
    episodes = sorted(Path(r["target"]).name for r in rows if r["media_type"] == "tv")
    assert episodes == [f"Breaking Bad S02E{e:02}.mkv" for e in range(1, 7)]
    status = json.loads(run_cli("status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["llm"]["requests"] == requests
    assert status["llm"]["prompt_tokens"] > 0 and status["llm"]["completion_tokens"] > 0
    tokens = f"{status['llm']['prompt_tokens']:,} prompt + {status['llm']['completion_tokens']:,} completion tokens"
    assert f"LLM: {requests} request{'s' if requests > 1 else ''}, {tokens}" in result.stdout


def test_sigterm_while_a_batch_is_asked_leaves_no_file_in_progress(tmp_path, env):
    import signal
    import sqlite3

    from tests.helpers import wait_for

    for path in EPISODES:
        make_video(tmp_path / "downloads" / path)
    with FakeTMDB() as tmdb, FakeLLM() as llm:
        llm.delay = 1.0
        env.update(
            TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER="llm", LLM_BATCH_SIZE="4", WORKERS="2"
        )
        env.update(
            OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, SCAN_INTERVAL="3600", SETTLE_SECONDS="1"
        )
        with open(tmp_path / "daemon.log", "wb") as log:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "clearmedia", "run"], env=env, stdout=log, stderr=log
            )
            try:
                wait_for(lambda: batch_requests(llm), timeout=30, what="a batch request")
            finally:
                daemon.send_signal(signal.SIGTERM)
                assert daemon.wait(20) == 0
    with sqlite3.connect(tmp_path / "data" / "clearmedia.db") as db:
        statuses = [status for (status,) in db.execute("SELECT status FROM media_file")]
    assert len(statuses) == len(EPISODES)
    assert "PROCESSING" not in statuses and "PENDING" in statuses


def test_scan_stopped_while_a_slow_batch_is_asked_leaves_no_file_in_progress(tmp_path, env):
    """The LLM answers after scan's stop grace: the batch being read goes back to PENDING too."""
    import signal
    import sqlite3

    from tests.helpers import wait_for

    for path in EPISODES:
        make_video(tmp_path / "downloads" / path)
    with FakeTMDB() as tmdb, FakeLLM() as llm:
        llm.delay = 8.0  # longer than scan's STOP_GRACE
        env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER="llm", LLM_BATCH_SIZE="4")
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, WORKERS="2", SETTLE_SECONDS="0")
        scan = subprocess.Popen(
            [sys.executable, "-m", "clearmedia", "scan"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: batch_requests(llm), timeout=30, what="a batch request")
        finally:
            scan.send_signal(signal.SIGTERM)
            _, err = scan.communicate(timeout=20)
        llm.delay = 0.0
    assert scan.returncode == 143, err
    with sqlite3.connect(tmp_path / "data" / "clearmedia.db") as db:
        statuses = [status for (status,) in db.execute("SELECT status FROM media_file")]
    assert len(statuses) == len(EPISODES)
    assert "PROCESSING" not in statuses, statuses


def test_a_failed_batch_claim_loses_no_kept_file(tmp_path, db, env, fake, monkeypatch):
    """DATA_DIR briefly unwritable while the next batch is claimed: the file the worker had taken
    from those kept is still handed out later, never stranded PROCESSING."""
    import peewee

    def full_disk(*args, **kwargs):
        raise peewee.OperationalError("database or disk is full")

    with read_ahead(tmp_path, env, fake, 4, "4") as ahead:
        handed = [ahead.claim()]  # one handed out, three kept
        real = queue.claim_batch
        monkeypatch.setattr(queue, "claim_batch", full_disk)
        with pytest.raises(peewee.OperationalError):
            ahead.claim()
        monkeypatch.setattr(queue, "claim_batch", real)
        while (file := ahead.claim()) is not None:
            handed.append(file)
    assert sorted(f.id for f in handed) == [row.id for row in MediaFile.select().order_by(MediaFile.id)]
