"""scripts/peak.py: the benchmarks' peak memory of a command is the command's own."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import peak  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="wait4 and posix_spawn figures")


def test_a_small_command_started_from_a_big_process_peaks_small():
    ballast = np.ones(300 * 2**20 // 8)  # 300 MB touched: this process's high-water mark
    assert peak.this_process_mb() > 300
    small = peak.run([sys.executable, "-S", "-c", "pass"])
    assert small.peak_mb < 60  # a bare interpreter, not this process's 300 MB
    grown = peak.run([sys.executable, "-S", "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"])
    assert 200 < grown.peak_mb < 260 and grown.cpu >= 0 and grown.wall > 0
    del ballast


def test_a_failing_command_says_why():
    with pytest.raises(SystemExit, match="no such thing"):
        peak.run([sys.executable, "-S", "-c", "import sys; sys.exit('no such thing')"])
