"""Paths for the futures tests: the committed synthetic fixture and the shared (uncommitted) data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pst_folder() -> Path:
    """tests/fixtures/pysystemtrade: SYNTHETIC prices in pysystemtrade's own layout."""
    return REPO / "tests" / "fixtures" / "pysystemtrade"


@pytest.fixture(scope="session")
def shared_futures() -> Path:
    """The shared daily futures files, which are never part of the repository."""
    # Beside the repository (/work/main) or beside the folder of worktrees (/work/wt/iN).
    candidates = [(REPO / up / "shared" / "data" / "futures").resolve() for up in ("..", "../..")]
    folder = next((c for c in candidates if (c / "instruments.csv").is_file()), candidates[0])
    if not (folder / "instruments.csv").is_file():
        pytest.skip(f"needs the shared futures data in {folder} (not in the repository; see its README)")
    return folder
