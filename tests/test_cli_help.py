"""Every command's help, as users read it: no Python type where a metavar belongs, help
text shown whole, and ``--quiet``/``--verbose`` wherever a command is typed."""

from __future__ import annotations

import re
import subprocess

import pytest

import typer.main

from tradesim.cli import _register, app, main

# Typer's type labels (<bool>, <str>, <list[str]>, <int range>, <path>...) and click's (TEXT, INTEGER...).
TYPE_LABEL = re.compile(r"<(bool|str|int|float|path|file|dir|list\[[^\]]*\]|[a-z]+ range|datetime|uuid)>"
                        r"|\b(BOOLEAN|TEXT|INTEGER|FLOAT|FILENAME|DIRECTORY)\b")


def commands() -> list[tuple[list[str], object]]:
    _register()
    found = []

    def walk(cmd, path: list[str]) -> None:  # noqa: ANN001
        found.append((path, cmd))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])  # the root group, built as main() builds it
    return found


COMMANDS = commands()
LEAVES = [(path, cmd) for path, cmd in COMMANDS if getattr(cmd, "commands", None) is None]


def help_of(path: list[str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "250")  # no wrapping: a help line is one line
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"replay", "compare", "paper run", "paper schedule", "sweep", "report", "data import-pysystemtrade",
            "profile", "rebalance", "runs", "db upgrade", "check lookahead", "stress"} <= names
    assert len(LEAVES) >= 25


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "tradesim")
def test_no_metavar_is_a_python_type(path: list[str], capsys, monkeypatch) -> None:  # noqa: ANN001
    out = help_of(path, capsys, monkeypatch)
    assert "Usage: " in out
    bad = [line.strip() for line in out.splitlines() if TYPE_LABEL.search(line)]
    assert not bad, f"tradesim {' '.join(path)} --help shows type names: {bad}"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "tradesim")
def test_every_option_shows_a_meaningful_metavar_or_none(path: list[str], capsys, monkeypatch) -> None:  # noqa: ANN001
    cmd = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    out = help_of(path, capsys, monkeypatch)
    for param in cmd.params:
        if param.param_type_name == "argument":
            assert param.metavar and param.metavar.upper() == param.metavar, (path, param.name)
            continue
        flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
        assert param.metavar == "" if flag else param.metavar, (path, param.opts, param.metavar)
        if param.metavar:
            line = next(line for line in out.splitlines()
                        if re.match(rf"│\s*\*?\s*{re.escape(param.opts[0])}\s", line))
            assert param.metavar in line


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "tradesim")
def test_help_text_is_shown_whole(path: list[str], capsys, monkeypatch) -> None:  # noqa: ANN001
    """Brackets in a help line ('[weights]', 'P[i, j]') are text, not Rich markup to swallow."""
    cmd = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    out = " ".join(help_of(path, capsys, monkeypatch).split())
    for param in cmd.params:
        for bracketed in re.findall(r"\[[^\]]*\]", (param.help or "").replace("\\[", "[")):
            assert bracketed in out, (path, param.name, bracketed)


def test_the_stress_file_help_names_its_tables(capsys, monkeypatch) -> None:  # noqa: ANN001
    out = help_of(["stress"], capsys, monkeypatch)
    assert "TOML: [weights], optional value, [groups], [returns], [vols], [correlations], [[limits]], [scenarios]" in out


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=lambda p: " ".join(p))
def test_every_command_takes_quiet_and_verbose(path: list[str], capsys, monkeypatch) -> None:  # noqa: ANN001
    out = help_of(path, capsys, monkeypatch)
    assert re.search(r"--quiet\s+-q\s+Errors only", out) and re.search(r"--verbose\s+-v\s+More log lines", out)


def test_runs_since_says_overlaps(capsys, monkeypatch) -> None:  # noqa: ANN001
    out = help_of(["runs"], capsys, monkeypatch)
    assert "Runs whose dates overlap this day or later" in out


def test_help_through_the_console_script() -> None:
    done = subprocess.run(["tradesim", "report", "--help"], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": __import__("os").environ["PATH"]})
    assert done.returncode == 0
    assert "[RUN]..." in done.stdout and re.search(r"--symbol\s+-s\s+SYMBOL\s", done.stdout)
    assert not TYPE_LABEL.search(done.stdout)
