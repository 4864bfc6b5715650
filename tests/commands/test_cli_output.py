"""What people see: tables aligned by display width, pipes closed early end quietly, retry of an
unknown id fails naming it, and `--help` lists every setting with its default."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from wcwidth import wcswidth

from clearmedia.config import DECLARED
from tests.helpers import run_cli


def fill_database(data_dir, count: int, name: str = "黑客帝国 (1999).mkv") -> None:
    """Rows written straight into a real database, as a long scan would leave them."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from clearmedia.store.db import open_database\n"
        "from clearmedia.store.models import MediaFile, database\n"
        "open_database(Path(sys.argv[1]))\n"
        "n, name = int(sys.argv[2]), sys.argv[3]\n"
        "rows = [dict(device=1, inode=i, path=f'/d/{i}/{name}' if i % 2 else f'/d/{i}/The.Matrix.mkv',"
        " source_root='/d', size=1, mtime=time.time(), status='FAILED', error='no match') for i in range(1, n + 1)]\n"
        "with database.atomic():\n"
        "    for start in range(0, len(rows), 200):\n"
        "        MediaFile.insert_many(rows[start:start + 200]).execute()\n"
    )
    subprocess.run([sys.executable, "-c", code, str(data_dir), str(count), name], check=True)


def test_list_aligns_chinese_names_by_display_width(env, tmp_path):
    fill_database(tmp_path / "data", 4)
    result = run_cli("list", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    columns = set()
    for line in lines[1:]:
        before_target = line[: line.index(" -  ")] if " -  " in line else line[: line.index("no match")]
        columns.add(wcswidth(before_target))
    assert len(columns) == 1, result.stdout


@pytest.mark.parametrize("command", [["list"], ["status"], ["list", "--json"]])
def test_a_reader_that_goes_away_ends_quietly(env, tmp_path, command):
    """The pipe is closed before the command writes, as `| head -1` does once it has its line."""
    fill_database(tmp_path / "data", 3000)
    child = subprocess.Popen(
        [sys.executable, "-m", "clearmedia", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.readline()
    child.stdout.close()
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    stderr = child.stderr.read().decode()
    assert child.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr


def test_status_piped_into_head_through_a_shell(env, tmp_path):
    fill_database(tmp_path / "data", 3000)
    result = subprocess.run(
        f"'{sys.executable}' -m clearmedia list | head -1; '{sys.executable}' -m clearmedia status | head -1",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.splitlines()[0].startswith("ID")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


def test_retry_of_an_unknown_id_exits_1_naming_it(env, tmp_path):
    fill_database(tmp_path / "data", 2)
    result = run_cli("retry", "2", "9999", env=env)
    assert result.returncode == 1
    assert "9999" in result.stderr
    assert "file(s) 2 set back to PENDING" in result.stdout
    assert run_cli("retry", "1", env=env).returncode == 0


def test_help_lists_every_setting_with_its_default():
    for args in (["--help"], ["check", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "clearmedia", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0
        for setting in DECLARED:
            line = next((x for x in result.stdout.splitlines() if x.split()[:1] == [setting.name]), None)
            assert line, f"{setting.name} missing in clearmedia {' '.join(args)}"
            if setting.default is not None:
                assert f"[{setting.default}]" in line


def test_status_without_a_database_says_where_it_looked_once(tmp_path, env):
    result = run_cli("status", env=env, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.count("no database at") == 1
    assert result.stdout.count("settings file") == 1
