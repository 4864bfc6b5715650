"""The systemd unit (systemd/clearmedia.service) checked for what users rely on: the service
settings, hardening that still lets hard links work, a comment on every setting."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.helpers import REPO

UNIT = REPO / "systemd" / "clearmedia.service"


def unit_entries() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


EXPECTED_UNIT = {
    "Type": "notify",
    "NotifyAccess": "main",
    "WatchdogSec": "60",
    "Restart": "on-failure",
    "RestartSec": "10",
    "EnvironmentFile": "/etc/clearmedia/clearmedia.env",
    "User": "clearmedia",
    "Group": "clearmedia",
    "ExecStart": "/opt/clearmedia/venv/bin/clearmedia run",
    "StateDirectory": "clearmedia",
    "Environment": "DATA_DIR=/var/lib/clearmedia",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "read-only",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictRealtime": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "",
    "UMask": "0002",
    "ReadWritePaths": "/srv/data",
}


def test_unit_has_the_service_and_hardening_settings():
    entries = unit_entries()
    for key, value in EXPECTED_UNIT.items():
        assert entries.get(key) == [value], f"{key}= {entries.get(key)}"


def test_unit_grants_one_common_parent_not_two_mounts():
    (paths,) = unit_entries()["ReadWritePaths"]
    assert len(paths.split()) == 1, "two ReadWritePaths entries are two mounts: hard links fail with EXDEV"
    assert "EXDEV" in UNIT.read_text()


def test_every_unit_setting_is_commented():
    """Each block of settings in [Service] starts with a comment saying why."""
    lines = UNIT.read_text().splitlines()
    start = lines.index("[Service]")
    previous = ""
    for line in lines[start + 1 : lines.index("[Install]")]:
        if line and not line.startswith("#") and previous == "":
            pytest.fail(f"no comment above {line!r}")
        previous = line


def test_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify insists that ExecStart's program exists: point it at this Python for the check.
    text = UNIT.read_text().replace(
        "/opt/clearmedia/venv/bin/clearmedia run", f"{sys.executable} -m clearmedia run"
    )
    assert text != UNIT.read_text()
    unit = tmp_path / "clearmedia.service"
    unit.write_text(text)
    proc = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    own = [line for line in (proc.stdout + proc.stderr).splitlines() if "clearmedia" in line]
    assert proc.returncode == 0 and not own, proc.stdout + proc.stderr
