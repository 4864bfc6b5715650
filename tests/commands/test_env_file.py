"""The env file is found from any folder (./.env, ~/.config/clearmedia/clearmedia.env), a relative
DATA_DIR belongs to the env file's folder, typos in it are caught, and status/list/retry never
create a database."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, make_video, run_cli

MOVIE = "The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv"


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no ClearMedia setting at all: everything comes from the env file."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def settings_file(path: Path, tmp_path: Path, tmdb_url: str, **extra: str) -> Path:
    (tmp_path / "downloads").mkdir(exist_ok=True)
    (tmp_path / "library").mkdir(exist_ok=True)
    values = {
        "SOURCE_DIR": str(tmp_path / "downloads"),
        "TARGET_DIR": str(tmp_path / "library"),
        "TMDB_API_KEY": "test-tmdb-key-SECRET",
        "TMDB_API_URL": tmdb_url,
        "PARSER": "guessit",
        "SETTLE_SECONDS": "0",
        "HEALTH_PORT": "0",
        "LOG_FORMAT": "text",
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def test_dot_env_and_env_file_option_find_one_database_from_any_folder(tmp_path, tmdb):
    project = tmp_path / "clearmedia"
    env_file = settings_file(project / ".env", tmp_path, tmdb.url)
    make_video(tmp_path / "downloads" / MOVIE)
    env = bare_env(tmp_path / "home")

    scan = run_cli("scan", env=env, cwd=project)
    assert scan.returncode == 0, scan.stderr
    assert (project / "data" / "clearmedia.db").is_file(), "the default ./data is beside the env file"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status = run_cli("--env-file", str(env_file), "status", "--json", env=env, cwd=elsewhere)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"]["COMPLETED"] == 1
    assert not (elsewhere / "data").exists(), "no stray ./data in the working folder"
    relative = run_cli("--env-file", "../clearmedia/.env", "status", env=env, cwd=elsewhere)
    assert f"settings file: {env_file}" in relative.stdout
    assert re.search(r"^COMPLETED +1$", relative.stdout, re.M)


def test_user_config_file_is_found_from_any_folder(tmp_path, tmdb):
    home = tmp_path / "home"
    env_file = settings_file(home / ".config/clearmedia/clearmedia.env", tmp_path, tmdb.url)
    make_video(tmp_path / "downloads" / MOVIE)
    env = bare_env(home)
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()

    check = run_cli("check", env=env, cwd=somewhere)
    assert f"settings file: {env_file}" in check.stdout, check.stdout + check.stderr
    assert run_cli("scan", env=env, cwd=somewhere).returncode == 0
    status = run_cli("status", env=env, cwd=tmp_path)
    assert f"settings file: {env_file}" in status.stdout
    assert f"database: {home / '.config/clearmedia/data/clearmedia.db'}" in status.stdout
    assert re.search(r"^COMPLETED +1$", status.stdout, re.M)


def test_no_env_file_says_so_with_the_required_setting(tmp_path):
    env = bare_env(tmp_path / "home")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("scan", env=env, cwd=empty)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "SOURCE_DIR is required" in line and "no settings file found" in line
    assert str(empty / ".env") in line and "--env-file" in line
    status = run_cli("status", env=env, cwd=empty)
    assert "no settings file found" in status.stdout


def test_required_setting_names_the_file_that_was_read(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / ".env").write_text("TMDB_API_KEY=x\n")
    result = run_cli("scan", env=bare_env(tmp_path / "home"), cwd=tmp_path / "proj")
    assert result.returncode == 2
    assert "SOURCE_DIR is required" in result.stderr
    assert f"settings file: {tmp_path / 'proj' / '.env'}" in result.stderr


@pytest.mark.parametrize(
    ("typo", "meant"), [("SOURCE_DRI", "SOURCE_DIR"), ("SETTLE_SECOND", "SETTLE_SECONDS")]
)
def test_a_typo_in_the_env_file_exits_2_naming_both(tmp_path, typo, meant):
    env_file = tmp_path / "typo.env"
    env_file.write_text(f"{typo}=5\nDATA_DIR={tmp_path / 'data'}\n")
    result = run_cli("--env-file", str(env_file), "status", env=bare_env(tmp_path / "home"), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and typo in lines[0] and meant in lines[0], result.stderr


def test_other_unknown_keys_are_warned_about(tmp_path):
    env_file = tmp_path / "extra.env"
    env_file.write_text(f"MY_OWN_NOTE=hello\nPUID=1000\nDATA_DIR={tmp_path / 'data'}\n")
    result = run_cli("--env-file", str(env_file), "status", env=bare_env(tmp_path / "home"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MY_OWN_NOTE" in result.stderr and "not a ClearMedia setting" in result.stderr
    assert "PUID" not in result.stderr, "keys docker compose reads from .env are not warned about"


def test_status_list_retry_never_create_a_database(tmp_path):
    env = bare_env(tmp_path / "home", DATA_DIR=str(tmp_path / "nothing-here"))
    db = tmp_path / "nothing-here" / "clearmedia.db"
    status = run_cli("status", "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0
    assert json.loads(status.stdout)["counts"]["PENDING"] == 0
    assert f"no database at {db}" in status.stderr
    listing = run_cli("list", "--json", env=env, cwd=tmp_path)
    assert (listing.returncode, json.loads(listing.stdout)) == (0, [])
    assert f"no database at {db}" in listing.stderr
    plain = run_cli("list", env=env, cwd=tmp_path)
    assert f"no database at {db}" in plain.stdout
    assert run_cli("retry", env=env, cwd=tmp_path).returncode == 0
    retry = run_cli("retry", "9999", env=env, cwd=tmp_path)
    assert retry.returncode == 1 and "9999" in retry.stderr
    assert not (tmp_path / "nothing-here").exists()


def test_relative_data_dir_follows_the_env_file(tmp_path):
    from clearmedia.config import load_settings

    env_file = tmp_path / "conf" / "clearmedia.env"
    env_file.parent.mkdir()
    env_file.write_text("DATA_DIR=state\n")
    settings = load_settings(env_file, require_library=False, environ={"HOME": str(tmp_path)})
    assert settings.data_dir == tmp_path / "conf" / "state"
    assert settings.env_file == env_file
    assert sys.executable  # the same code runs in the CLI tests above


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv to drop the file-access override",
)
@pytest.mark.parametrize("locked", ["folder", "file"])
def test_a_settings_file_the_user_cannot_read_is_one_line_and_exit_2(tmp_path, locked):
    """Like /etc/clearmedia at 0750 root:root read by the service user: no traceback.
    Root is made an ordinary user for file access by dropping CAP_DAC_OVERRIDE/READ_SEARCH."""
    secret = tmp_path / "etc" / "clearmedia.env"
    secret.parent.mkdir()
    secret.write_text("SOURCE_DIR=/srv/downloads\n")
    (secret.parent if locked == "folder" else secret).chmod(0)
    try:
        result = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "clearmedia"]
            + ["--env-file", str(secret), "status"],
            env=bare_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        secret.parent.chmod(0o755)
        secret.chmod(0o644)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{secret} cannot be read by this user" in result.stderr
