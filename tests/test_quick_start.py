"""The README's quick start, followed literally in a fresh folder: settings in the editor, a check
and a preview that link nothing, then `run` links in the language the user chose; and the usual
first-hour mistakes get answers that say what to do."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import REPO, make_video, wait_for

README = (REPO / "README.md").read_text()
MOVIE = "The.Matrix.1999.1080p.BluRay.x264-AMIABLE/The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv"
LINK = "Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv"

#: What the user types in the editor: their folders and key, no LLM, English titles.
EDITOR = """#!{python}
import re, sys
path = sys.argv[1]
text = open(path).read()
for name, value in {values!r}.items():
    text = re.sub(rf"^{{name}}=.*$", f"{{name}}={{value}}", text, flags=re.M)
text = re.sub(r"^OPENAI_API_KEY=", "# OPENAI_API_KEY=", text, flags=re.M)
text += "TMDB_API_URL={tmdb}\\nSETTLE_SECONDS=0\\nHEALTH_PORT=0\\nLOG_FORMAT=text\\n"
open(path, "w").write(text)
"""

needs_venv = pytest.mark.skipif(
    not (REPO / ".venv/bin/clearmedia").exists(), reason="needs the installed venv"
)


def quick_start() -> list[str]:
    """The shell blocks of the README's first `## ` section, the quick start."""
    return re.findall(r"```sh\n(.*?)\n```", re.split(r"\n## ", README)[1], re.S)


def checkout(tmp_path: Path, tmdb: FakeTMDB) -> tuple[Path, dict[str, str]]:
    """A fresh checkout as step 1 leaves it, one finished download, and the user's editor."""
    clone = tmp_path / "clearmedia"
    (clone / ".venv/bin").mkdir(parents=True)
    shutil.copy(REPO / ".env.example", clone / ".env.example")
    (clone / ".venv/bin/clearmedia").symlink_to(REPO / ".venv/bin/clearmedia")  # what `install` made
    make_video(tmp_path / "torrents" / MOVIE)
    (tmp_path / "media").mkdir()
    editor = tmp_path / "editor"
    values = {
        "SOURCE_DIR": str(tmp_path / "torrents"),
        "TARGET_DIR": str(tmp_path / "media"),
        "TMDB_API_KEY": "test-tmdb-key-SECRET",
        "TMDB_LANGUAGE": "en-US",
    }
    editor.write_text(EDITOR.format(python=sys.executable, values=values, tmdb=tmdb.url))
    editor.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "EDITOR": str(editor)}
    return clone, env


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)


@needs_venv
def test_the_quick_start_previews_then_runs_in_the_chosen_language(tmp_path):
    install, settings, preview, run, _tests = quick_start()
    with FakeTMDB() as tmdb:
        clone, env = checkout(tmp_path, tmdb)
        first = shell(f"{settings} && {preview}", clone, env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"settings file: {clone / '.env'}" in first.stdout
        assert "would link:" in first.stdout and "The Matrix (1999)" in first.stdout
        assert not any((tmp_path / "media").iterdir()), "the preview links nothing"

        daemon = subprocess.Popen(["bash", "-c", f"exec {run}"], cwd=clone, env=env, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: (tmp_path / "media" / LINK).exists(), timeout=30, what="the English link")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(30) == 0
    assert os.path.samefile(tmp_path / "media" / LINK, tmp_path / "torrents" / MOVIE)
    assert [p.name for p in (tmp_path / "media" / "Movies").iterdir()] == ["The Matrix (1999) [tmdbid-603]"]
    assert (clone / "data" / "clearmedia.db").is_file(), "the database lies beside .env"
    assert install.startswith("python3 -m venv .venv")


@needs_venv
def test_the_usual_first_hour_mistakes_say_what_to_do(tmp_path):
    _install, settings, _preview, _run, _tests = quick_start()
    program = ".venv/bin/clearmedia"
    with FakeTMDB() as tmdb:
        clone, env = checkout(tmp_path, tmdb)
        assert shell(f"{settings} && {program} scan", clone, env).returncode == 0
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()

        # Another folder: no settings found, said so; no stray database; --env-file finds the same one.
        lost = shell(f"{clone / program} status", elsewhere, env)
        assert lost.returncode == 0 and "no settings file found" in lost.stdout + lost.stderr
        assert not (elsewhere / "data").exists(), "status never creates a database"
        found = shell(f"{clone / program} --env-file {clone / '.env'} list --json", elsewhere, env)
        assert found.returncode == 0 and '"COMPLETED"' in found.stdout

        # The output piped into head: quiet, exit 0.
        piped = shell(f"{program} status | head -1; exit ${{PIPESTATUS[0]}}", clone, env)
        assert piped.returncode == 0 and "Traceback" not in piped.stderr

        # A misspelt setting stops every command, naming the one meant.
        with open(clone / ".env", "a") as handle:
            handle.write("SETTLE_SECOND=10\n")
        typo = shell(f"{program} status", clone, env)
        assert typo.returncode == 2 and "SETTLE_SECONDS" in typo.stderr

        # A wrong TMDB key: check fails naming the setting, never showing the key.
        text = (clone / ".env").read_text().replace("SETTLE_SECOND=10\n", "")
        (clone / ".env").write_text(text.replace("test-tmdb-key-SECRET", "wrong-key-SECRET"))
        wrong = shell(f"{program} check", clone, env)
        assert wrong.returncode == 1 and "TMDB_API_KEY" in wrong.stdout + wrong.stderr
        assert "wrong-key-SECRET" not in wrong.stdout + wrong.stderr
