"""Where things live: one function per place, each redirected by HBMCYCLE_ROOT (tests use it)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The project root: $HBMCYCLE_ROOT, else the checkout this package sits in, else the cwd."""
    if env := os.environ.get("HBMCYCLE_ROOT"):
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "data" / "raw").is_dir():
            return parent
    return Path.cwd()


def raw_dir() -> Path:
    return repo_root() / "data" / "raw"


def processed_dir() -> Path:
    return repo_root() / "data" / "processed"


def db_path() -> Path:
    return processed_dir() / "hbmcycle.duckdb"


def parquet_dir() -> Path:
    return processed_dir() / "parquet"


def reports_dir() -> Path:
    return repo_root() / "reports"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"
