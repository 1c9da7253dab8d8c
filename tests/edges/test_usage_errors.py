"""Usage errors and the exit-code contract of ``tradesim`` itself (no command run)."""

from __future__ import annotations

import pytest

import tradesim
from tests.edges.console import tradesim as run


@pytest.mark.parametrize("args, says", [
    ((), "Usage: tradesim"),
    (("--bogus",), "No such option: --bogus"),
    (("nosuch",), "No such command 'nosuch'"),
    (("replay", "--capital", "abc"), "Invalid value for '--capital'"),
    (("replay", "--commit-every", "0"), "Invalid value for '--commit-every'"),
    (("paper",), "Usage: tradesim paper"),
    (("db", "upgrade", "extra-argument"), "Got unexpected extra argument"),
])
def test_usage_errors_exit_2_without_a_traceback(args, says) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_version_prints_the_package_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"tradesim {tradesim.__version__}")


def boom(*_args, **_kwargs) -> None:  # noqa: ANN002, ANN003
    raise ZeroDivisionError("boom")


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_a_file(tmp_path, monkeypatch, capsys) -> None:
    import re

    import tradesim.cli.replay
    from tradesim.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.delenv("TRADESIM_DEBUG", raising=False)
    monkeypatch.setattr(tradesim.cli.replay, "load_config", boom)
    assert main(["replay"]) == 1
    err = capsys.readouterr().err.strip()
    found = re.fullmatch(r"error: internal error: ZeroDivisionError: boom \(traceback in (\S+); --debug or "
                         r"TRADESIM_DEBUG=1 prints it\)", err)
    assert found, err
    written = open(found.group(1)).read()
    assert found.group(1).startswith(str(tmp_path / "tradesim"))
    assert "Traceback (most recent call last)" in written and 'raise ZeroDivisionError("boom")' in written
    with pytest.raises(ZeroDivisionError):
        main(["replay", "--debug"])


def test_a_config_from_a_pipe_is_read_and_its_paths_are_the_working_directorys(tmp_path) -> None:  # noqa: ANN001
    """``tradesim replay <(generate-config)``: the config is a pipe, not a file, and it has no folder of its own."""
    import shutil
    import subprocess

    from tests.edges.cases import BASE
    from tests.edges.console import TRADESIM

    if shutil.which("bash") is None:
        pytest.skip("process substitution needs bash")
    for name, content in BASE.items():
        (tmp_path / name).write_text(content)
    result = subprocess.run(["bash", "-c", f'"{TRADESIM}" replay <(cat good.toml) --db ledger.db'], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    piped = run("trades", "--db", "ledger.db", cwd=tmp_path).stdout
    assert run("replay", "good.toml", "--db", "file.db", cwd=tmp_path).returncode == 0
    assert piped == run("trades", "--db", "file.db", cwd=tmp_path).stdout and "AAA" in piped


def test_a_full_disk_under_the_output_is_one_line(tmp_path) -> None:  # noqa: ANN001
    """``tradesim trades -f csv > file`` on a full disk: the machine's fault, said in one line (exit 2), not a bug."""
    import os
    import subprocess

    from tests.edges.cases import BASE
    from tests.edges.console import TRADESIM

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full (a device that is always full) here")
    for name, content in BASE.items():
        (tmp_path / name).write_text(content)
    assert run("replay", "good.toml", "--db", "ledger.db", cwd=tmp_path).returncode == 0
    with open("/dev/full", "w") as full:
        result = subprocess.run([TRADESIM, "trades", "--db", "ledger.db", "-f", "csv"], cwd=tmp_path, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120,
                                env={**os.environ, "TRADESIM_DEBUG": ""})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: cannot write the output: No space left on device"
