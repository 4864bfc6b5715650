"""The whole sample download folder (tests/fixtures/downloads-sample.jsonl, a copy of the shared
examples) through `clearmedia scan`, once with the LLM and once with guessit: every video ends
where the truth says, with no wrong link, and every skip is skipped.

Then names no other test has seen (tests/fixtures/unseen-names.jsonl, their works in
tests/fixtures/unseen-catalogue.json) the way a stranger would judge them: TMDB_LANGUAGE=zh-CN,
the imperfect LLM, the plain one and guessit; zero wrong links, and a FAILED only with a reason
(and only where the name cannot decide, or `may_fail` says why it is hard)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import FIXTURES, fingerprint, make_video, run_cli

SAMPLE = FIXTURES / "downloads-sample.jsonl"
ROWS = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
TAGS = {"zh-CN": "zh"}  # the contract's tag for simplified Chinese


def build(root: Path) -> None:
    videos = {row["belongs_to"] for row in ROWS if row["kind"] == "subtitle"}
    for row in ROWS:
        path = root / row["path"]
        if row["kind"] in ("movie", "episode") or row["path"] in videos:
            make_video(path)
        elif row["kind"] == "subtitle" or path.suffix in (".nfo", ".jpg"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
        else:
            make_video(path, size_mb=0 if "tiny" in row.get("why_skip", "") else 20)
    for video in videos - {row["path"] for row in ROWS}:
        make_video(root / video)


def expected_name(row: dict) -> str:
    title = row["title"].replace(": ", " - ")
    if row["kind"] == "movie":
        return f"{title} ({row['year']})"
    episodes = row["episodes"]
    tail = f"-E{episodes[-1]:02}" if len(episodes) > 1 else ""
    return f"{title} S{row['season']:02}E{episodes[0]:02}{tail}"


@pytest.mark.slow
@pytest.mark.parametrize("parser", ["llm", "llm-imperfect", "guessit"])
@pytest.mark.parametrize("batch_size", ["20", "1"])
def test_sample_downloads_become_the_contract_layout(tmp_path, env, parser, batch_size):
    """`llm-imperfect`: the fake LLM answers like a real model (FIDELITY.md), flaws and all.
    LLM_BATCH_SIZE 20 and 1: names asked many per request are read as right as one per request."""
    if parser == "guessit" and batch_size == "1":
        pytest.skip("no LLM requests to batch")
    downloads, library = tmp_path / "downloads", tmp_path / "library"
    build(downloads)
    before = {p: fingerprint(p) for p in downloads.rglob("*") if p.is_file()}
    with FakeTMDB() as tmdb, FakeLLM(imperfect=parser == "llm-imperfect") as llm:
        env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER=parser.split("-")[0])
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
        env.update(LLM_BATCH_SIZE=batch_size)
        result = run_cli("scan", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        listed = run_cli("list", "--json", env=env, cwd=tmp_path)
    rows = {Path(r["path"]).relative_to(downloads).as_posix(): r for r in json.loads(listed.stdout)}

    for truth in ROWS:
        row = rows.get(truth["path"])
        if truth["kind"] in ("movie", "episode"):
            assert row is not None and row["status"] == "COMPLETED", (truth["path"], row)
            target = Path(row["target"])
            assert target.stem == expected_name(truth), truth["path"]
            assert target.is_relative_to(library / ("Movies" if truth["kind"] == "movie" else "TV Shows"))
            assert (row["title"], row["year"], row["media_type"]) == (
                truth["title"],
                truth["year"],
                truth["media_type"],
            )
            assert os.stat(target).st_ino == os.stat(downloads / truth["path"]).st_ino
        elif truth["kind"] == "skip":
            assert row is None or row["status"] == "IGNORED", (truth["path"], row)
        else:  # a subtitle: beside its video's library file, with the contract's language tag
            video = rows[truth["belongs_to"]]
            assert video["status"] == "COMPLETED", video
            tag = TAGS.get(truth["lang"], truth["lang"])
            stem = Path(video["target"]).stem
            names = [Path(s).name for s in video["subtitles"]]
            assert f"{stem}.{tag}{Path(truth['path']).suffix}" in names, (truth["path"], names)

    # nothing but links below TARGET_DIR, nothing outside it, and the downloads untouched
    linked = [p for p in library.rglob("*") if p.is_file()]
    assert all(os.stat(p).st_nlink == 2 for p in linked)
    assert {p: fingerprint(p) for p in downloads.rglob("*") if p.is_file()} == before


UNSEEN = [
    json.loads(line)
    for line in (FIXTURES / "unseen-names.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def scan_unseen(root: Path, env: dict, mode: str) -> dict[str, dict]:
    """The unseen names as files under root/downloads, through `clearmedia scan` in `mode`
    ("llm-imperfect", "llm", "guessit"); return relative path -> `list --json` row."""
    downloads = root / "downloads"
    for row in UNSEEN:
        make_video(downloads / row["path"])
    with FakeTMDB() as tmdb, FakeLLM(imperfect=mode == "llm-imperfect") as llm:
        env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="zh-CN", PARSER=mode.split("-")[0])
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
        result = run_cli("scan", env=env, cwd=root, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        listed = run_cli("list", "--json", env=env, cwd=root)
    return {Path(r["path"]).relative_to(downloads).as_posix(): r for r in json.loads(listed.stdout)}


def outcome(truth: dict, row: dict | None, library: Path) -> str:
    """ "linked" (where the truth says), "failed" (with a reason), "wrong" (linked anywhere else,
    or failed without a reason, or a link outside the library) or the status it was left in."""
    if row is None:
        return "missing"
    if row["status"] == "FAILED":
        return "failed" if row.get("error") else "wrong"
    if row["status"] != "COMPLETED":
        return row["status"]
    got = {k: row[k] for k in ("media_type", "tmdb_id", "season", "episodes")}
    inside = Path(row["target"]).resolve().is_relative_to(library.resolve())
    return "linked" if got == truth["truth"] and inside else "wrong"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["llm-imperfect", "llm", "guessit"])
def test_unseen_names_are_never_linked_wrong(tmp_path, env, mode):
    rows = scan_unseen(tmp_path, env, mode)
    seen = {row["path"]: outcome(row, rows.get(row["path"]), tmp_path / "library") for row in UNSEEN}
    wrong = [path for path, what in seen.items() if what == "wrong"]
    assert not wrong, [(path, rows[path]) for path in wrong]
    for row in UNSEEN:
        if row["truth"] is None:  # the name cannot decide: FAILED, saying why
            assert seen[row["path"]] == "failed", rows.get(row["path"])
            assert row["why"] in rows[row["path"]]["error"]
        elif row.get("may_fail"):  # decidable only with what a model knows (or hard for all)
            assert seen[row["path"]] in ("linked", "failed"), (row["path"], rows.get(row["path"]))
        else:  # every other name is linked where the truth says
            assert seen[row["path"]] == "linked", (row["path"], rows.get(row["path"]))


PROBE = [
    json.loads(line)
    for line in (FIXTURES / "probe-names.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def scan_probe(root: Path, env: dict, mode: str) -> dict[str, dict]:
    """The probe names (tests/fixtures/probe-names.jsonl, their works in probe-catalogue.json)
    through `clearmedia scan` in `mode`, once per TMDB_LANGUAGE a row names (zh-CN, en-US), each in
    its own folder and database; return relative path -> `list --json` row."""
    rows: dict[str, dict] = {}
    for language in sorted({row["language"] for row in PROBE}):
        folder = root / language
        downloads = folder / "downloads"
        for row in PROBE:
            if row["language"] == language:
                make_video(downloads / row["path"])
        run_env = dict(env, DATA_DIR=str(folder / "data"), SOURCE_DIR=str(downloads))
        run_env["TARGET_DIR"] = str(folder / "library")
        for name in ("library", "data"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        with FakeTMDB() as tmdb, FakeLLM(imperfect=mode == "llm-imperfect") as llm:
            run_env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE=language, PARSER=mode.split("-")[0])
            run_env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
            result = run_cli("scan", env=run_env, cwd=folder, timeout=600)
            assert result.returncode == 0, result.stderr[-3000:]
            listed = run_cli("list", "--json", env=run_env, cwd=folder)
        for r in json.loads(listed.stdout):
            r["library"] = str(folder / "library")
            rows[Path(r["path"]).relative_to(downloads).as_posix()] = r
    return rows


#: of the probe names a name decides, at least this many are linked in each mode (53 of 54 today)
PROBE_LINKED_FLOOR = 52


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["llm-imperfect", "llm", "guessit"])
def test_probe_names_are_never_linked_wrong(tmp_path, env, mode):
    """A stranger's names (probe-names.jsonl): years and numbers as titles, dots and apostrophes,
    later seasons by their year or the anime way, absolute numbers, Chinese sites, kanji titles,
    Korean dramas, shows by air date, multi-episode files, season packs, a film and a show of one
    title, remakes; TMDB_LANGUAGE zh-CN for some, en-US for others. Zero wrong links."""
    rows = scan_probe(tmp_path, env, mode)
    seen = {
        row["path"]: outcome(row, rows.get(row["path"]), Path(rows[row["path"]]["library"]))
        if row["path"] in rows
        else "missing"
        for row in PROBE
    }
    assert not [path for path, what in seen.items() if what not in ("linked", "failed")], [
        (path, what, rows.get(path)) for path, what in seen.items() if what not in ("linked", "failed")
    ]
    for row in PROBE:
        if row["truth"] is None:  # two works fit, or nothing on TMDB: FAILED, saying why
            assert seen[row["path"]] == "failed", rows[row["path"]]
            assert row["why"] in rows[row["path"]]["error"]
        elif not row.get("may_fail"):
            assert seen[row["path"]] == "linked", (row["path"], rows[row["path"]])
    linked = sum(1 for what in seen.values() if what == "linked")
    assert linked >= PROBE_LINKED_FLOOR, linked
