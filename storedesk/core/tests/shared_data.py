"""Where tests find the public data sets (mail corpus, FAQ queries): ../shared/data.

The data is read in place beside the checkout, never copied into it; in CI the clone sits
beside `shared` as well. STOREDESK_SHARED_DATA points elsewhere. Missing data fails the run
under CI=true (a test over no data would pass by testing nothing) and skips the tests that
need it, with the reason, on a developer's machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]


def _located() -> Path:
    configured = os.environ.get("STOREDESK_SHARED_DATA")
    return Path(configured) if configured else REPOSITORY.parent / "shared" / "data"


def _missing_reason(path: Path) -> str:
    """The skip reason for missing data; fails the run instead under CI=true."""
    reason = (
        f"shared test data not found at {path}: check out `shared` beside the repository "
        "or set STOREDESK_SHARED_DATA"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    return reason


def shared_data_dir() -> Path:
    """The shared data folder, for use inside a test: skips it when the folder is missing."""
    path = _located()
    if not path.is_dir():
        pytest.skip(_missing_reason(path))
    return path


def shared_data_files(folder: str, pattern: str = "*.eml") -> list[pytest.ParameterSet]:
    """`parametrize` values: the files in a shared data folder, sorted, each named by its file.

    Read while tests are collected, before any runs: when the data is missing this is one
    skipped placeholder (under CI=true, a collection error) instead of a silent empty set.
    """
    path = _located()
    if not path.is_dir():
        skip = pytest.mark.skip(reason=_missing_reason(path))
        return [pytest.param(None, marks=skip, id="missing-shared-data")]
    return [pytest.param(file, id=file.name) for file in sorted((path / folder).glob(pattern))]
