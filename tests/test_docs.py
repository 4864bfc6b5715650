"""The docs keep step with the contract: every setting and command documented, the README's test
command is CI's, and .env.example is a working settings file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from clearmedia.config import DECLARED, DEFAULTS, load_settings
from clearmedia.errors import ConfigError
from tests.helpers import REPO

CONTRACT = REPO.parent / "shared" / "CONTRACT.md"
README = (REPO / "README.md").read_text()
README_ZH = (REPO / "README.zh-CN.md").read_text()
ENV_EXAMPLE = REPO / ".env.example"
NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b(?:PARSER|WORKERS|NAMING)\b")

# Used when the contract is not beside the repository (CI lays shared/ next to it as ../shared).
FALLBACK_COMMANDS = {
    "run": [],
    "scan": ["--dry-run"],
    "status": ["--json"],
    "list": ["--status", "--limit", "--json"],
    "retry": ["--status"],
    "identify": ["--json"],
    "check": [],
    "health": [],
    "fix": ["--tmdb", "--season", "--episode", "--folder"],
    "unlink": [],
    "relink": ["--dry-run"],
    "add": [],
}


def contract_section(title: str) -> list[str]:
    text = CONTRACT.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None].splitlines()


def contract_settings() -> set[str]:
    if not CONTRACT.is_file():
        return set(DEFAULTS)
    names = set()
    for line in contract_section("Settings"):
        if line.startswith("| ") and not line.startswith(("| setting", "|---")):
            names.update(NAME.findall(line.split("|")[1]))
    return names


def contract_commands() -> dict[str, list[str]]:
    if not CONTRACT.is_file():
        return FALLBACK_COMMANDS
    commands = {}
    for line in contract_section("Commands"):
        found = re.match(r"\| `clearmedia (\w+)([^`]*)`", line)
        if found:
            commands[found.group(1)] = re.findall(r"--[a-z-]+", found.group(2))
    return commands


SETTINGS = sorted(contract_settings() | set(DEFAULTS))


def test_contract_lists_are_complete():
    assert len(SETTINGS) >= 27 and "MOVIE_TEMPLATE" in SETTINGS and "HEALTH_PORT" in SETTINGS
    assert set(contract_commands()) == set(FALLBACK_COMMANDS)


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_is_in_env_example_and_in_both_readme_tables(setting):
    assert re.search(rf"^(# )?{setting}=", ENV_EXAMPLE.read_text(), re.M), (
        f"{setting} missing in .env.example"
    )
    for name, text in (("README.md", README), ("README.zh-CN.md", README_ZH)):
        rows = [line for line in text.splitlines() if line.startswith(f"| `{setting}`")]
        assert rows, f"{setting} has no row in the settings table of {name}"


@pytest.mark.parametrize(("command", "options"), sorted(contract_commands().items()))
def test_every_command_and_option_is_in_the_readme(command, options):
    rows = [line for line in README.splitlines() if line.startswith(f"| `clearmedia {command}")]
    assert rows, f"clearmedia {command} has no row in the README's command table"
    for option in options:
        assert option in rows[0], f"{option} of clearmedia {command} is not documented"
    assert f"clearmedia {command}" in README_ZH


def test_global_option_and_exit_status_2_are_documented():
    assert "--env-file" in README and "--env-file" in README_ZH
    assert "Exit status 2" in README


def ci_command() -> str:
    lines = [
        line for line in (REPO / ".ci" / "run").read_text().splitlines() if line.startswith("python3 -m venv")
    ]
    assert len(lines) == 1, "expected one install-and-test line in .ci/run"
    return lines[0]


def section(text: str, number: int) -> str:
    """The text of the `number`-th `## ` section (0: the first), up to the next one."""
    return re.split(r"\n## ", text)[number + 1]


def quick_start_commands(text: str) -> list[str]:
    """The shell blocks of the quick start: the first `## ` section of either README."""
    return re.findall(r"```sh\n(.*?)\n```", section(text, 0), re.S)


def test_readme_quick_start_is_install_settings_preview_run_and_the_ci_test_command():
    for text in (README, README_ZH):
        commands = quick_start_commands(text)
        assert len(commands) == 5, "install, settings, check+preview, run, and the test command"
        install, settings, preview, run, tests = commands
        assert install.startswith("python3 -m venv .venv") and "pip install -r requirements.txt ." in install
        assert "cp .env.example .env" in settings and "${EDITOR:-vi} .env" in settings
        assert preview == ".venv/bin/clearmedia check && .venv/bin/clearmedia scan --dry-run"
        assert run == ".venv/bin/clearmedia run"
        assert tests == ci_command()
        assert all("\n" not in command for command in commands)
        assert commands == quick_start_commands(README), "both READMEs give the same commands"


def test_readme_links_the_chinese_version_and_back():
    assert "(README.zh-CN.md)" in README.split("\n## ")[0]
    assert "(README.md)" in README_ZH.split("\n## ")[0]


def test_relative_links_in_the_readmes_point_at_files():
    for text in (README, README_ZH):
        for target in re.findall(r"\]\(([^)#:]+)\)", text):
            assert (REPO / target).exists(), f"broken link {target}"


def env_example_with(tmp_path: Path, uncomment=(), keys=True) -> Path:
    """.env.example with its placeholder folders replaced by real ones (and some lines uncommented)."""
    text = ENV_EXAMPLE.read_text()
    values = dotenv_values(ENV_EXAMPLE)
    for name in ("SOURCE_DIR", "TARGET_DIR"):
        folder = tmp_path / name.lower()
        folder.mkdir(exist_ok=True)
        text = text.replace(f"{name}={values[name]}\n", f"{name}={folder}\n")
    text = text.replace("# DATA_DIR=./data\n", f"DATA_DIR={tmp_path / 'data'}\n")
    if keys:
        text = re.sub(r"=your-([a-z-]+)$", r"=test-\1-0123456789", text, flags=re.M)
    for name in uncomment:
        text = re.sub(rf"^# ({name}=)", r"\1", text, flags=re.M)
    out = tmp_path / "settings.env"
    out.write_text(text)
    return out


#: Set at the top of .env.example: the required ones, then the two to choose before the first run.
FIRST_SETTINGS = ["SOURCE_DIR", "TARGET_DIR", "TMDB_API_KEY", "OPENAI_API_KEY", "TMDB_LANGUAGE", "NAMING"]


def test_env_example_sets_only_the_required_and_the_choose_first_settings():
    values = dotenv_values(ENV_EXAMPLE)
    assert list(values) == FIRST_SETTINGS
    assert all(values.values())
    assert values["TMDB_LANGUAGE"] == DEFAULTS["TMDB_LANGUAGE"] and values["NAMING"] == DEFAULTS["NAMING"]
    for text in (README, README_ZH):
        quick_start = section(text, 0)
        assert "TMDB_LANGUAGE" in quick_start and "NAMING" in quick_start


@pytest.mark.parametrize("setting", DECLARED, ids=[s.name for s in DECLARED])
def test_readme_defaults_are_the_declared_ones(setting):
    """The README's default column is what config.DECLARED says (the Chinese one for real values)."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{setting.name}`"))
    assert row.split(" | ")[1].strip() == setting.shown_default
    if setting.default is not None:
        row = next(line for line in README_ZH.splitlines() if line.startswith(f"| `{setting.name}`"))
        assert row.split(" | ")[1].strip() == setting.shown_default


def test_no_editor_is_assumed():
    """nano is missing on Synology: the docs open files with ${EDITOR:-vi}."""
    for text in (README, README_ZH, ENV_EXAMPLE.read_text()):
        assert "nano" not in text.replace("EDITOR=nano", ""), "use ${EDITOR:-vi}"


def test_env_example_is_a_valid_settings_file(tmp_path):
    settings = load_settings(env_example_with(tmp_path), require_library=True, environ={})
    assert settings.source_dirs == ((tmp_path / "source_dir").resolve(),)
    assert settings.target_dir == (tmp_path / "target_dir").resolve()
    assert settings.tmdb_api_key and settings.openai_api_key
    assert settings.effective_parser == "llm"


def test_env_example_untouched_keys_are_named_not_sent(tmp_path):
    """A key left at its `your-…` example value is a setting problem (exit 2), not a TMDB 401 later."""
    with pytest.raises(ConfigError, match=r"TMDB_API_KEY is still the example value from \.env\.example"):
        load_settings(env_example_with(tmp_path, keys=False), require_library=True, environ={})


def test_commented_values_in_env_example_are_the_real_defaults(tmp_path):
    """Uncommenting a default line changes nothing; the example templates are usable templates."""
    text = ENV_EXAMPLE.read_text()
    commented = dict(re.findall(r"^# ([A-Z][A-Z0-9_]*)=(.*)$", text, re.M))
    commented.update({k: v for k, v in dotenv_values(ENV_EXAMPLE).items() if k in FIRST_SETTINGS[4:]})
    for name, default in DEFAULTS.items():
        if default is not None and name not in ("SOURCE_DIR", "TARGET_DIR", "DATA_DIR"):
            assert commented.get(name) == default, f".env.example shows {name}={commented.get(name)}"
    plain = load_settings(env_example_with(tmp_path), require_library=True, environ={})
    with_defaults = [n for n, d in DEFAULTS.items() if d is not None and n != "DATA_DIR"]
    same = load_settings(env_example_with(tmp_path, with_defaults), require_library=True, environ={})
    assert same == plain
    templated = load_settings(
        env_example_with(tmp_path, ["MOVIE_TEMPLATE", "EPISODE_TEMPLATE"]), require_library=True, environ={}
    )
    assert templated.movie_template and templated.episode_template


# --- What the program really has: argparse, the package, the benchmarks ---------------------------


def parser_commands() -> dict[str, list[str]]:
    """Every `clearmedia` subcommand with its options (without -h and the global --env-file)."""
    import argparse

    from clearmedia.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [
            option
            for action in parser._actions
            for option in action.option_strings
            if option.startswith("--") and option not in ("--help", "--env-file")
        ]
        for name, parser in sub.choices.items()
    }


def command_rows(text: str, command: str) -> list[str]:
    starts = (f"| `clearmedia {command} ", f"| `clearmedia {command}`")
    return [line for line in text.splitlines() if line.startswith(starts)]


@pytest.mark.parametrize(("command", "options"), sorted(parser_commands().items()))
def test_every_subcommand_and_option_of_the_program_is_in_both_command_tables(command, options):
    for name, text in (("README.md", README), ("README.zh-CN.md", README_ZH)):
        rows = command_rows(text, command)
        assert len(rows) == 1, f"clearmedia {command} needs one row in the command table of {name}"
        for option in options:
            assert option in rows[0], f"{option} of clearmedia {command} is missing in {name}'s table"


def beyond_the_contract(text: str) -> str:
    heading = "## Beyond the contract\n" if text is README else "## 超出约定的部分\n"
    assert heading in text, f"no {heading.strip()!r} section"
    start = text.index(heading)
    return text[start : text.index("\n## ", start + 1)]


def test_what_goes_beyond_the_contract_is_listed_as_such_in_both_readmes():
    contract = contract_commands()
    for text in (README, README_ZH):
        beyond = beyond_the_contract(text)
        for command, options in parser_commands().items():
            if command not in contract:
                assert f"clearmedia {command}" in beyond, f"{command} is beyond the contract"
            for option in set(options) - set(contract.get(command, options)):
                assert option in beyond, f"{command} {option} is beyond the contract"
        for extra in ("`llm`", "`workers`", "`problems`", "130", "head"):
            assert extra in beyond, f"{extra} should be in the beyond-the-contract list"


CONTRACT_FIELDS = {
    "list --json": [
        "id",
        "status",
        "path",
        "target",
        "error",
        "media_type",
        "tmdb_id",
        "title",
        "year",
        "season",
        "episodes",
        "attempts",
        "match_source",
        "subtitles",
    ],
    "health": [
        "status",
        "version",
        "uptime_s",
        "counts",
        "last_scan",
        "watcher",
        "starting",
        "degraded",
        "problems",
        "workers",
    ],
    "status --json": ["counts", "last_scan", "llm"],
    "match_source": ["llm", "guessit", "path", "manual"],
}


@pytest.mark.parametrize("what", sorted(CONTRACT_FIELDS))
def test_json_fields_users_rely_on_are_named_in_both_readmes(what):
    for name, text in (("README.md", README), ("README.zh-CN.md", README_ZH)):
        for field in CONTRACT_FIELDS[what]:
            assert f"`{field}`" in text or f'"{field}"' in text, f"{what} field {field} missing in {name}"


def test_exit_statuses_and_file_states_are_in_both_readmes():
    for text in (README, README_ZH):
        for status in ("PENDING", "PROCESSING", "COMPLETED", "FAILED", "CONFLICT", "IGNORED"):
            assert f"| `{status}` |" in text, f"{status} has no row in the file states table"
        for code in ("130", "143"):
            assert code in text
    for spelling in ("[tmdbid-603]", "{tmdbid=603}", "tmdbid=603", "tmdb-603", "NCOP", "Season 00"):
        assert spelling in README and spelling in README_ZH, f"identification rule {spelling} undocumented"


def package_modules() -> list[str]:
    """Every module of the package as the layout tables name it (`commands/add.py`, `clearmedia/cli.py`)."""
    package = REPO / "clearmedia"
    names = [f"clearmedia/{p.name}" for p in sorted(package.glob("*.py")) if p.name != "__init__.py"]
    for path in sorted(package.glob("*/*.py")):
        if path.name != "__init__.py" or len(path.read_text().splitlines()) > 40:
            names.append(f"{path.parent.name}/{path.name}")
    return names


def layout_rows(text: str) -> set[str]:
    return set(re.findall(r"^\| `((?:clearmedia|[a-z]+)/[a-z_]+\.py)` \|", text, re.M))


def test_the_code_layout_tables_list_the_package_as_it_is():
    modules = set(package_modules())
    for name, text in (("README.md", README), ("README.zh-CN.md", README_ZH)):
        rows = layout_rows(text)
        assert modules - rows == set(), f"modules missing in the code layout of {name}"
        assert rows - modules == set(), f"the code layout of {name} lists modules that are gone"


def test_both_readmes_have_the_same_sections():
    for level in ("## ", "### "):
        english = [line for line in README.splitlines() if line.startswith(level)]
        chinese = [line for line in README_ZH.splitlines() if line.startswith(level)]
        assert len(english) == len(chinese), f"{level.strip()} sections: {english} vs {chinese}"


def test_one_command_runs_every_benchmark_and_the_readme_says_so():
    from tests.benchmarks.__main__ import BENCHMARKS

    found = {p.stem.removeprefix("bench_") for p in (REPO / "tests" / "benchmarks").glob("bench_*.py")}
    assert set(BENCHMARKS) == found, "tests/benchmarks/__main__.py runs every bench_*.py"
    for text in (README, README_ZH):
        assert ".venv/bin/python -m tests.benchmarks\n" in text
        for name in found:
            assert f"bench_{name}" in text, f"bench_{name} has no figures in the README"


def test_the_systemd_recipe_lets_the_service_user_read_its_settings():
    """ClearMedia reads /etc/clearmedia/clearmedia.env itself as User=clearmedia: folder and file
    must belong to its group (a root-only folder makes every command fail to read its settings)."""
    for text in (README, README_ZH):
        assert "sudo install -d -m 0750 -g clearmedia /etc/clearmedia\n" in text
        assert "sudo install -m 0640 -g clearmedia .env.example /etc/clearmedia/clearmedia.env\n" in text


def test_docker_commands_match_the_image_entrypoint():
    """The entrypoint runs `clearmedia "$@"`: `compose run` takes the bare command, and what writes
    the library goes through the entrypoint (as PUID/PGID), not `exec … clearmedia` (as root)."""
    entrypoint = (REPO / "docker" / "entrypoint.sh").read_text()
    assert 'clearmedia "$@"' in entrypoint
    for text in (README, README_ZH):
        assert "compose run --rm clearmedia clearmedia" not in text
        assert "docker compose run --rm clearmedia scan --dry-run" in text
        for command in ("relink", "fix", "unlink", "add", "scan"):
            assert f"exec clearmedia clearmedia {command}" not in text
        assert "exec -T clearmedia /entrypoint.sh add" in text
