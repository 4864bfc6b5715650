"""The health endpoint: a real daemon answering /health, `clearmedia health`, 503, 404, busy port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from clearmedia.config import load_settings
from clearmedia.errors import ConfigError
from clearmedia.runtime.health import HealthServer, query
from tests.daemon_helpers import DaemonProcess, daemon_env, free_port
from tests.fakes.fake_llm import FakeLLM
from tests.helpers import base_env, run_cli

SECRETS = ("test-tmdb-key-SECRET", "test-openai-key-SECRET")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_health_answers_ok_without_secrets_and_clearmedia_health_follows_the_daemon(tmp_path, tmdb):
    port = free_port()
    with FakeLLM() as llm:
        env = daemon_env(
            tmp_path, tmdb, HEALTH_PORT=str(port), OPENAI_API_KEY=llm.api_key, OPENAI_BASE_URL=llm.url
        )
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        try:
            daemon.wait_ready()
            code, text = get(f"http://127.0.0.1:{port}/health")
            assert code == 200
            body = json.loads(text)
            assert body["status"] == "ok"
            assert body["watcher"] == "inotify"
            assert body["version"]
            assert isinstance(body["uptime_s"], float | int)
            assert set(body["counts"]) >= {
                "PENDING",
                "PROCESSING",
                "COMPLETED",
                "FAILED",
                "CONFLICT",
                "IGNORED",
            }
            assert "last_scan" in body
            for secret in SECRETS:
                assert secret not in text
            assert get(f"http://127.0.0.1:{port}/nothing")[0] == 404
            result = run_cli("health", env=env)
            assert result.returncode == 0, result.stdout + result.stderr
            assert json.loads(result.stdout)["status"] == "ok"
            assert "GET /health" not in daemon.log()  # the access log is DEBUG only
        finally:
            assert daemon.stop() == 0
    result = run_cli("health", env=env)
    assert result.returncode == 1
    assert f"ClearMedia is not running (nothing answers on 127.0.0.1:{port})" in result.stdout


def test_busy_health_port_is_a_config_error_naming_the_setting(tmp_path, tmdb):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = daemon_env(tmp_path, tmdb, HEALTH_PORT=str(port))
        result = run_cli("run", env=env, timeout=30)
    assert result.returncode == 2
    assert f"HEALTH_PORT {port}" in result.stderr
    assert "already in use" in result.stderr


def _settings(tmp_path, **env):
    return load_settings(None, require_library=True, environ=base_env(tmp_path, **env))


def test_degraded_state_answers_503_and_query_returns_1(tmp_path, db, capsys):
    port = free_port()
    settings = _settings(tmp_path, HEALTH_PORT=str(port))
    state = {"watcher": "stopped", "problems": ["the file watcher is not running"], "last_scan": None}
    server = HealthServer(settings, lambda: state)
    server.start()
    try:
        code, text = get(f"http://127.0.0.1:{port}/health")
        assert code == 503
        body = json.loads(text)
        assert body["status"] == "degraded" and body["watcher"] == "stopped"
        assert query(settings) == 1
        assert "not healthy" in capsys.readouterr().out
        state.update(watcher="poll", problems=[])
        assert query(settings) == 0
        assert json.loads(capsys.readouterr().out)["watcher"] == "poll"
    finally:
        server.stop()


def test_port_0_turns_the_endpoint_off(tmp_path, capsys):
    settings = _settings(tmp_path, HEALTH_PORT="0")
    server = HealthServer(settings, dict)
    server.start()
    assert server.alive and not server.enabled
    assert query(settings) == 1
    assert "turned off" in capsys.readouterr().out


def test_server_start_on_a_busy_port_raises_config_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = _settings(tmp_path, HEALTH_PORT=str(taken.getsockname()[1]))
        with pytest.raises(ConfigError, match="HEALTH_PORT"):
            HealthServer(settings, dict).start()


def test_query_handles_a_server_that_does_not_answer(tmp_path, capsys, monkeypatch):
    import clearmedia.runtime.health as health

    monkeypatch.setattr(health, "QUERY_TIMEOUT", 0.3)
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = _settings(tmp_path, HEALTH_PORT=str(silent.getsockname()[1]))
        assert query(settings) == 1
    assert "does not answer" in capsys.readouterr().out
