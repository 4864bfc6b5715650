"""The README's quick start, followed literally in a fresh folder: settings in the editor, a check
and a preview that link nothing, then `run` links in the language the user chose."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

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


def quick_start() -> list[str]:
    """The shell blocks of the README's first `## ` section, the quick start."""
    return re.findall(r"```sh\n(.*?)\n```", re.split(r"\n## ", README)[1], re.S)


@pytest.mark.skipif(not (REPO / ".venv/bin/clearmedia").exists(), reason="needs the installed venv")
def test_the_quick_start_previews_then_runs_in_the_chosen_language(tmp_path):
    install, settings, preview, run, _tests = quick_start()
    clone = tmp_path / "clearmedia"
    (clone / ".venv/bin").mkdir(parents=True)
    shutil.copy(REPO / ".env.example", clone / ".env.example")
    (clone / ".venv/bin/clearmedia").symlink_to(REPO / ".venv/bin/clearmedia")  # what `install` made
    make_video(tmp_path / "torrents" / MOVIE)
    (tmp_path / "media").mkdir()
    with FakeTMDB() as tmdb:
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

        first = subprocess.run(
            ["bash", "-c", f"{settings} && {preview}"], cwd=clone, env=env, capture_output=True, text=True
        )
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
