"""The README's runnable examples run, and exit as the README says.

Blocks fenced as ```` ```console runnable ```` hold commands (lines starting with ``$ ``)
and what they print. Each command runs through the shell, with the real ``tradesim``
script, in a scratch folder (``strategies/`` linked in, so the README's paths work) and
against one small ledger built once for the module ($TRADESIM_DB). It must exit 0, or the
code its ``# exit N`` comment names. Only commands that take seconds are marked runnable.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```console runnable\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def runnable_commands(readme: str) -> list[tuple[str, int]]:
    commands = []
    for block in FENCE.findall(readme):
        for line in block.splitlines():
            if line.startswith("$ "):
                found = EXIT.search(line)
                commands.append((line[2:].strip(), int(found.group(1)) if found else 0))
    return commands


COMMANDS = runnable_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_runnable_examples() -> None:
    assert len(COMMANDS) >= 8
    assert ("tradesim replay --capital -5  # exit 2", 2) in COMMANDS


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[Path, dict[str, str]]:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("readme")
    (folder / "strategies").symlink_to(ROOT / "strategies")
    env = {**os.environ, "TRADESIM_DB": str(folder / "tradesim.db")}
    env.pop("COLUMNS", None)
    done = subprocess.run(["tradesim", "-q", "replay", "--start", "2022-11-01", "-f", "csv"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder, env


@pytest.mark.parametrize(("command", "code"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_a_readme_command_exits_as_documented(scratch, command: str, code: int) -> None:  # noqa: ANN001
    folder, env = scratch
    done = subprocess.run(command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == code, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    if code == 0:
        assert "Traceback" not in done.stderr
    else:
        assert done.stderr.startswith("error: ")
