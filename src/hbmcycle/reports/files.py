"""Where report products go and how they are written: atomically, with the mode the umask gives."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hbmcycle import paths


def build_dir() -> Path:
    """Executed notebooks and render records: outside reports/ (the folder one publishes)."""
    return paths.processed_dir() / "report_build"


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: Path, text: str) -> Path:
    """Write text to a temporary file beside ``path``, give it 0666 minus the umask, rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
