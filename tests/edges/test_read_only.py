"""Read-only ledgers, made read-only for real, through the real console script.

Root ignores file permissions, so each way a ledger becomes read-only is made real:

- ``file-mode-0444``: the ledger file is r--r--r-- (its folder writable);
- ``folder-mode-0555``: the ledger is writable but its folder is not, so SQLite cannot
  create the journal (-wal, -shm) beside it;
- ``read-only-mount``: the folder is bind-mounted read-only (EROFS, root included), in a
  private mount namespace that dies with the command;
- ``immutable-file``: ``chattr +i`` (EPERM, root included).

The two permission cases run the command as an unprivileged process: as this user when it
is not root, else as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv), which
file modes then bind exactly as they bind any user. (Not ``runuser -u nobody``: the
interpreter may live where nobody can run it, e.g. under /root.) A mechanism this machine
lacks is skipped with the reason.

Queries must work and print what they print on a writable copy; writing commands must
stop before any work with exit 2 and one line, and the ledger's bytes never change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from db import migrations
from tests.edges.cases import BASE
from tests.edges.console import TRADESIM, tradesim
from tests.edges.old_ledger import downgrade
from tradesim.config import load_config
from tradesim.replay import replay

MECHANISMS = ["file-mode-0444", "folder-mode-0555", "read-only-mount", "immutable-file"]
QUERIES = [("runs",), ("trades", "--run", "1"), ("db", "check")]
MORE_QUERIES = [("equity", "--run", "1"), ("db", "current")]  # on the mount: file and folder
WRITES = [("replay", "good.toml"), ("paper", "run", "good.toml", "--as-of", "2024-01-10"), ("db", "upgrade")]
BEHIND = "0008"


def unprivileged() -> list[str]:
    """A command prefix that runs a process that file permissions bind."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: no way to run a process that file permissions bind")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


def mount_prefix(folder: Path) -> list[str]:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a read-only bind mount needs root and unshare")
    # Popen's cwd is the folder before the mount: cd again to stand on the read-only mount.
    prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
              'mount --bind -o ro "$0" "$0" && cd "$0" && exec "$@"', str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", "! touch probe 2>/dev/null"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"no read-only bind mount here: {probe.stderr.strip() or 'the folder stayed writable'}")
    return prefix


@contextmanager
def read_only(mechanism: str, folder: Path) -> Iterator[list[str]]:
    """Make ``folder/ledger.db`` read-only the ``mechanism`` way; yields the command prefix."""
    ledger = folder / "ledger.db"
    if mechanism == "file-mode-0444":
        prefix = unprivileged()
        ledger.chmod(0o444)
        yield prefix
    elif mechanism == "folder-mode-0555":
        prefix = unprivileged()
        folder.chmod(0o555)
        try:
            yield prefix
        finally:
            folder.chmod(0o755)
    elif mechanism == "read-only-mount":
        yield mount_prefix(folder)
    else:
        if os.geteuid() != 0 or shutil.which("chattr") is None:
            pytest.skip("chattr +i needs root and chattr")
        done = subprocess.run(["chattr", "+i", str(ledger)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i: {done.stderr.strip()} (the filesystem does not support it)")
        try:
            yield []
        finally:
            subprocess.run(["chattr", "-i", str(ledger)], check=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_folder(root: Path, name: str, ledger: Path) -> Path:
    folder = root / name
    folder.mkdir()
    for file, content in BASE.items():
        (folder / file).write_text(content)
    shutil.copy(ledger, folder / "ledger.db")
    return folder


def commands(mechanism: str, out: Path) -> list[tuple[str, ...]]:
    more = [*MORE_QUERIES, ("report", "1", "--out", str(out / f"{mechanism}.html"))]
    return [*QUERIES, *(more if mechanism == "read-only-mount" else []), *WRITES]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every command on every read-only ledger (and on a writable copy), run concurrently."""
    root = tmp_path_factory.mktemp("read-only")
    out = root / "reports"
    out.mkdir()
    base = root / "base"
    base.mkdir()
    for file, content in BASE.items():
        (base / file).write_text(content)
    replay(load_config(base / "good.toml"), f"sqlite:///{base / 'ledger.db'}")
    behind = root / "behind.db"
    shutil.copy(base / "ledger.db", behind)
    downgrade(behind, BEHIND)

    def run(prefix: list[str], folder: Path, args: tuple[str, ...]):  # noqa: ANN202
        return tradesim(*args, "--db", "ledger.db", cwd=folder) if not prefix else subprocess.run(
            [*prefix, TRADESIM, *args, "--db", "ledger.db"], capture_output=True, text=True, timeout=300,
            cwd=folder, env={**os.environ, "COLUMNS": "200", "TRADESIM_DEBUG": ""})

    results: dict = {}
    writable = make_folder(root, "writable", base / "ledger.db")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        queries = [*QUERIES, *MORE_QUERIES]
        results["writable"] = dict(zip(queries, pool.map(lambda a: run([], writable, a), queries)))
        for mechanism in MECHANISMS:
            folder = make_folder(root, mechanism, base / "ledger.db")
            old = make_folder(root, f"{mechanism}-behind", behind)
            before = {f: (digest(f / "ledger.db"), sorted(os.listdir(f))) for f in (folder, old)}
            try:
                with read_only(mechanism, folder) as prefix, read_only(mechanism, old) as prefix_old:
                    todo = [(prefix, folder, a) for a in commands(mechanism, out)] + [(prefix_old, old, ("runs",))]
                    done = list(pool.map(lambda job: run(*job), todo))
            except pytest.skip.Exception as exc:
                results[mechanism] = exc
                continue
            after = {f: (digest(f / "ledger.db"), sorted(os.listdir(f))) for f in (folder, old)}
            results[mechanism] = {"runs": dict(zip((a for _, _, a in todo[:-1]), done)), "behind": done[-1],
                                  "before": before, "after": after, "folders": (folder, old)}
    results["out"] = out
    return results


def outcome(outcomes: dict, mechanism: str) -> dict:
    found = outcomes[mechanism]
    if isinstance(found, BaseException):
        pytest.skip(str(found))
    return found


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_queries_read_a_read_only_ledger_as_they_read_a_writable_one(outcomes: dict, mechanism: str) -> None:
    found = outcome(outcomes, mechanism)
    for args, result in found["runs"].items():
        if args in WRITES:
            continue
        assert result.returncode == 0 and "Traceback" not in result.stderr, (args, result.stderr)
        if args[0] == "report":
            assert Path(args[-1]).stat().st_size > 0
        else:
            assert result.stdout == outcomes["writable"][args].stdout, args
    assert "integrity: ok" in found["runs"][("db", "check")].stdout


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_writing_commands_refuse_a_read_only_ledger_in_one_line(outcomes: dict, mechanism: str) -> None:
    found = outcome(outcomes, mechanism)
    for args in WRITES:
        result = found["runs"][args]
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert len(lines) == 1 and "ledger.db: the ledger is read-only" in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_read_only_ledger_behind_the_schema_is_refused_in_one_line(outcomes: dict, mechanism: str) -> None:
    result = outcome(outcomes, mechanism)["behind"]
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: sqlite:///ledger.db: the ledger's schema ({BEHIND}) is behind this tradesim's ({migrations.head()}) "
        "and the ledger is read-only here: run `tradesim db upgrade` where it can be written"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_nothing_changes_a_read_only_ledger(outcomes: dict, mechanism: str) -> None:
    found = outcome(outcomes, mechanism)
    for folder in found["folders"]:
        digest_before, files_before = found["before"][folder]
        digest_after, files_after = found["after"][folder]
        assert digest_after == digest_before, f"{folder.name}: the ledger's bytes changed"
        if mechanism in ("folder-mode-0555", "read-only-mount"):
            assert files_after == files_before  # not even a journal beside it
