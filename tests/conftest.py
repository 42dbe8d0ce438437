"""Shared fixtures: an isolated project root so tests never touch the real database or reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A throwaway project root (HBMCYCLE_ROOT) with an empty data/raw and data/processed."""
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "processed").mkdir()
    monkeypatch.setenv("HBMCYCLE_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory) -> Path:
    """The shipped data/raw built once into a temporary root; yields that root."""
    from hbmcycle.data.build import build

    root = tmp_path_factory.mktemp("shipped")
    (root / "data").mkdir()
    shutil.copytree(RAW, root / "data" / "raw")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    build(
        raw=root / "data" / "raw",
        db=root / "data" / "processed" / "hbmcycle.duckdb",
        parquet=root / "data" / "processed" / "parquet",
    )
    return root


@pytest.fixture
def use_shipped_db(shipped_db, monkeypatch) -> Path:
    monkeypatch.setenv("HBMCYCLE_ROOT", str(shipped_db))
    return shipped_db
