"""The engine's constants: one function returns them, fitted on the data the database holds now.

The calibration (efficiencies and overheads fitted on ``decode_measurements``, then the
software-maturity factors fitted on MLPerf rounds up to v5.0 in ``inference_benchmarks``,
see :mod:`hbmcycle.inference.system_validation`) is a build product. ``hbmcycle data build``
(and so ``make data`` / ``make report``) calls :func:`current`, which reads
``data/processed/calibration.json`` when the hash of its inputs matches the database and
otherwise fits again and writes the file atomically. Every command,
report and analysis asks :func:`current` for its constants, so all of them use the same fit,
and each output names it by :attr:`EngineConstants.label` (inputs hash and fit time).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from hbmcycle import paths
from hbmcycle.data import db
from hbmcycle.inference import assumptions, calibration, system_validation
from hbmcycle.inference.step_time import Efficiency

INPUT_TABLES = ("decode_measurements", "llm_models", "accelerators")
SYSTEM_TABLES = ("inference_benchmarks", "workloads")  # the system-level fit; skipped when absent
# The fit's code is an input too: a saved fit made by other formulas is stale.
FIT_MODULES = (
    "architecture.py",
    "calibration.py",
    "parallel.py",
    "serving.py",
    "step_time.py",
    "system.py",
    "system_validation.py",
    "workloads.py",
)
FILE_NAME = "calibration.json"


@dataclass(frozen=True)
class EngineConstants:
    """Fitted efficiencies with their provenance and the whole calibration record (validation rows)."""

    efficiency: Efficiency
    inputs_sha256: str
    fitted_at: str
    record: dict

    @property
    def maturity(self) -> dict[str, dict]:
        """Software-maturity factors by vendor/precision key and by vendor ({} without the system fit)."""
        return self.record.get("system", {}).get("maturity", {})

    @property
    def label(self) -> str:
        """How reports and ``--json`` outputs name the constants they used."""
        return f"calibration {self.inputs_sha256[:12]} fitted {self.fitted_at}"


def inputs_hash(tables: dict[str, pl.DataFrame]) -> str:
    """sha256 over the calibration's input tables (as CSV), the fit's settings, the engine's assumptions and its code."""
    digest = hashlib.sha256()
    digest.update(json.dumps(calibration.settings(), sort_keys=True).encode())
    digest.update(json.dumps(assumptions.load().as_dict(), sort_keys=True).encode())
    for module in FIT_MODULES:
        digest.update((Path(__file__).parent / module).read_bytes())
    for name in (*INPUT_TABLES, *(t for t in SYSTEM_TABLES if t in tables)):
        digest.update(name.encode())
        digest.update(tables[name].write_csv().encode())
    return digest.hexdigest()


def calibration_path() -> Path:
    return paths.processed_dir() / FILE_NAME


def _read(path: Path) -> dict | None:
    """The saved record, or None when the file is missing, truncated or not a calibration record."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "parameters" in record and "inputs_sha256" in record else None


def write_atomically(record: dict, path: Path) -> None:
    """Write the JSON record to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(record, indent=1, default=str) + "\n")
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _database_tables() -> dict[str, pl.DataFrame]:
    """The fit's tables from the database; the system tables only where the database holds them."""
    tables = db.read_tables(INPUT_TABLES)
    # a database without benchmark tables (e.g. a test's toy database) gets the step-level fit only
    with contextlib.suppress(KeyError):
        tables |= db.read_tables(SYSTEM_TABLES)
    return tables


# Constants already read in this process, keyed by the database file and calibration file states
# (a rebuild makes a new database file, a refit a new calibration file), so an analysis that asks
# many times reads and hashes the tables once.
_SEEN: dict[tuple, EngineConstants] = {}


def _state_key() -> tuple:
    def state(path: Path) -> tuple:
        try:
            info = path.resolve().stat()
        except OSError:
            return (str(path), None)
        return (str(path.resolve()), info.st_ino, info.st_mtime_ns, info.st_size)

    return state(paths.db_path()), state(calibration_path())


def current(tables: dict[str, pl.DataFrame] | None = None, refit: bool = False) -> EngineConstants:
    """The engine constants for the current data: the saved fit if its inputs hash matches, else a new fit (saved).

    ``tables`` defaults to the database's ``decode_measurements``, ``llm_models``,
    ``accelerators``, ``inference_benchmarks`` and ``workloads``; ``refit`` fits even when the
    saved record is current.
    """
    if tables is None and not refit and (seen := _SEEN.get(_state_key())) is not None:
        return seen
    fitted = _fit_or_read(tables if tables is not None else _database_tables(), refit)
    if tables is None:
        _SEEN[_state_key()] = fitted  # keyed after a write: the calibration file may just have changed
    return fitted


def _fit_or_read(tables: dict[str, pl.DataFrame], refit: bool) -> EngineConstants:
    sha = inputs_hash(tables)
    path = calibration_path()
    record = None if refit else _read(path)
    if record is None or record.get("inputs_sha256") != sha:
        measurements, llm_models, accelerators = (tables[n] for n in INPUT_TABLES)
        record = calibration.calibrate(measurements, llm_models, accelerators)
        if all(t in tables for t in SYSTEM_TABLES):
            eff = Efficiency(**record["parameters"])
            record["system"] = system_validation.calibrate_system(tables, eff, assumptions.load())
        record["inputs_sha256"] = sha
        write_atomically(record, path)
    return EngineConstants(Efficiency(**record["parameters"]), sha, record["created"], record)
