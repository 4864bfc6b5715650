"""Settings: environment > env file > defaults; every bad value exits 2 with one line naming it."""

from __future__ import annotations

import pytest

from clearmedia.config import DEFAULTS, load_settings
from clearmedia.errors import ConfigError
from tests.helpers import run_cli

BAD_VALUES = [
    ("WORKERS", "four", 'error: WORKERS must be a whole number of at least 1 and at most 64 (got "four")'),
    ("WORKERS", "0", "WORKERS must be a whole number"),
    ("SCAN_INTERVAL", "-5", "SCAN_INTERVAL must be a whole number"),
    ("SETTLE_SECONDS", "soon", "SETTLE_SECONDS must be a number"),
    ("MIN_FILE_SIZE_MB", "-1", "MIN_FILE_SIZE_MB must be a number"),
    ("MAX_ATTEMPTS", "1.5", "MAX_ATTEMPTS must be a whole number"),
    ("RETRY_DELAY", "x", "RETRY_DELAY must be a whole number"),
    ("TMDB_RATE_LIMIT", "0", "TMDB_RATE_LIMIT must be a whole number"),
    ("HEALTH_PORT", "70000", "HEALTH_PORT must be a whole number of at least 0 and at most 65535"),
    ("PARSER", "magic", "PARSER must be one of auto, llm, guessit"),
    ("NAMING", "kodi", "NAMING must be one of jellyfin, plex, emby"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of auto, text, json, journal"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
    ("WATCH_MODE", "fast", "WATCH_MODE must be one of inotify, poll"),
    ("DRY_RUN", "maybe", "DRY_RUN must be true or false"),
    ("TMDB_API_URL", "ftp://x", "TMDB_API_URL must be an http:// or https:// address"),
    ("OPENAI_BASE_URL", "localhost:11434", "OPENAI_BASE_URL must be an http:// or https:// address"),
    ("TMDB_LANGUAGE", "zh CN", "TMDB_LANGUAGE must be a language code"),
    ("SOURCE_DIR", "/does/not/exist", "SOURCE_DIR folder does not exist"),
    ("TARGET_DIR", "/does/not/exist", "TARGET_DIR folder does not exist"),
    ("MOVIE_TEMPLATE", "{nonsense}", "MOVIE_TEMPLATE is not a usable template"),
]


@pytest.mark.parametrize(
    ("name", "value", "expected"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES]
)
def test_bad_setting_exits_2_with_one_line_naming_it(env, tmp_path, name, value, expected):
    env[name] = value
    result = run_cli("scan", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "clearmedia.db").exists(), "a bad setting must change nothing"


@pytest.mark.parametrize("missing", ["SOURCE_DIR", "TARGET_DIR"])
def test_required_folder_missing(env, tmp_path, missing):
    del env[missing]
    result = run_cli("scan", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{missing} is required" in result.stderr


def test_tmdb_credential_required_only_by_library_commands(env, tmp_path):
    del env["TMDB_API_KEY"]
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "TMDB_API_KEY or TMDB_READ_TOKEN is required" in result.stderr
    assert run_cli("status", env=env, cwd=tmp_path).returncode == 0


def test_status_needs_only_data_dir(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "state"), "PYTHONPATH": ""}
    result = run_cli("status", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"no database at {tmp_path / 'state' / 'clearmedia.db'}" in result.stderr
    assert not (tmp_path / "state").exists(), "status never creates a database"


def test_status_still_rejects_a_malformed_setting(env, tmp_path):
    env["WORKERS"] = "many"
    assert run_cli("status", env=env, cwd=tmp_path).returncode == 2


def test_file_is_a_folder_setting(env, tmp_path):
    (tmp_path / "afile").write_text("x")
    env["TARGET_DIR"] = str(tmp_path / "afile")
    result = run_cli("scan", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "TARGET_DIR must be a folder" in result.stderr


def test_source_inside_target_is_refused(env, tmp_path):
    inner = tmp_path / "library" / "downloads"
    inner.mkdir()
    env["SOURCE_DIR"] = str(inner)
    result = run_cli("scan", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "SOURCE_DIR" in result.stderr


def test_env_file_is_read_and_environment_wins(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        f"SOURCE_DIR={tmp_path / 'a'}\nTARGET_DIR={tmp_path / 'b'}\nWORKERS=7\nTMDB_API_KEY=k\n"
    )
    settings = load_settings(env_file, require_library=True, environ={"WORKERS": "3"})
    assert settings.workers == 3
    assert settings.source_dirs == ((tmp_path / "a").resolve(),)
    assert settings.tmdb_api_key == "k"


def test_default_env_file_is_dot_env_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("WORKERS=9\n")
    assert load_settings(None, require_library=False, environ={}).workers == 9


def test_missing_named_env_file_is_an_error(env, tmp_path):
    result = run_cli("--env-file", str(tmp_path / "nope.env"), "status", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "--env-file" in result.stderr


def test_env_file_option_after_the_command(env, tmp_path):
    env_file = tmp_path / "x.env"
    env_file.write_text("WORKERS=two\n")
    env.pop("WORKERS", None)
    result = run_cli("status", "--env-file", str(env_file), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "WORKERS" in result.stderr


def test_defaults_match_the_contract(tmp_path):
    settings = load_settings(None, require_library=False, environ={"DATA_DIR": str(tmp_path)})
    assert (settings.workers, settings.scan_interval, settings.settle_seconds) == (4, 300, 60)
    assert (settings.max_attempts, settings.retry_delay, settings.min_file_size_mb) == (5, 30, 10)
    assert (settings.naming, settings.parser, settings.log_format, settings.watch_mode) == (
        "jellyfin",
        "auto",
        "auto",
        "inotify",
    )
    assert (settings.health_host, settings.health_port, settings.tmdb_rate_limit) == ("127.0.0.1", 8089, 40)
    assert settings.tmdb_language == "zh-CN" and settings.llm_model == "gpt-4o-mini"
    assert settings.effective_parser == "guessit"
    assert set(DEFAULTS) >= {"SOURCE_DIR", "HEALTH_PORT", "MOVIE_TEMPLATE", "EPISODE_TEMPLATE"}


def test_several_source_folders(tmp_path):
    for name in ("a", "b", "lib"):
        (tmp_path / name).mkdir()
    settings = load_settings(
        None,
        require_library=True,
        environ={
            "SOURCE_DIR": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
            "TARGET_DIR": str(tmp_path / "lib"),
            "TMDB_READ_TOKEN": "t",
            "DATA_DIR": str(tmp_path / "d"),
        },
    )
    assert [p.name for p in settings.source_dirs] == ["a", "b"]


def test_secrets_are_not_in_repr(tmp_path):
    settings = load_settings(
        None,
        require_library=False,
        environ={"TMDB_API_KEY": "tmdb-SECRET", "OPENAI_API_KEY": "sk-SECRET", "DATA_DIR": str(tmp_path)},
    )
    assert "SECRET" not in repr(settings)
    assert settings.effective_parser == "llm"
    assert sorted(settings.secrets()) == ["sk-SECRET", "tmdb-SECRET"]


def test_config_error_type():
    with pytest.raises(ConfigError, match="PARSER"):
        load_settings(None, require_library=False, environ={"PARSER": "x"})


def test_list_status_retry_work_while_the_download_disk_is_unmounted(env, tmp_path):
    env["SOURCE_DIR"] = str(tmp_path / "unmounted" / "torrents")
    for command in (["status"], ["list", "--json"], ["retry"]):
        result = run_cli(*command, env=env, cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
    assert run_cli("scan", env=env, cwd=tmp_path).returncode == 2
