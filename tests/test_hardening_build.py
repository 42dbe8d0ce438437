"""`data build` under kill -9, concurrency, a foreign writer, leftovers and umasks (issue 10, items 5, 6, 11).

Builds run in processes forked from a small helper that imported hbmcycle once, so a
kill lands at a random point of a real build (validation, DuckDB write, Parquet write,
the generation switch, the cleanup) without paying Python's start-up for each of them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_validation import GEN_HEADER, GEN_ROWS, write_fixture

from hbmcycle.data import db as dbmod
from hbmcycle.data import generation
from hbmcycle.data.build import BuildBusy, build

KILLS = 50
CONCURRENT_ROUNDS = 20

# The helper: reads commands on stdin. "build" forks a child that builds and exits (0 ok,
# 1 failed); it answers the child's pid. "wait PID" reaps it and answers its exit status.
HELPER = r"""
import os, sys, traceback
from pathlib import Path
from hbmcycle.data.build import build
import duckdb._sources.polars, numpy, pyarrow  # what a first build imports lazily; no threads started
root = Path(sys.argv[1])
kwargs = dict(raw=root / "data/raw", db=root / "data/processed/hbmcycle.duckdb", parquet=root / "data/processed/parquet")
print("ready", flush=True)
for line in sys.stdin:
    word, *rest = line.split()
    if word == "build":
        pid = os.fork()
        if pid == 0:
            try:
                build(**kwargs)
                os._exit(0)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
        print(pid, flush=True)
    elif word == "wait":
        _, status = os.waitpid(int(rest[0]), 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
"""


class Builder:
    """Talks to the helper process; each build is a forked child of it."""

    def __init__(self, root: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HELPER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def start(self) -> int:
        self.proc.stdin.write("build\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self, pid: int) -> int:
        self.proc.stdin.write(f"wait {pid}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def small_project(project) -> Path:
    """One small table (hbm_generations), whose notes column says which version of the data it is."""
    write_version(project / "data" / "raw", 0)
    return project


def write_version(raw: Path, version: int) -> None:
    write_fixture(raw)
    for extra in ("accelerators.csv", "accelerators.yaml"):
        (raw / extra).unlink()
    rows = [row.removesuffix(",") + f",version {version}" for row in GEN_ROWS]
    (raw / "hbm_generations.csv").write_text("\n".join([GEN_HEADER, *rows]) + "\n", encoding="utf-8")


def assert_consistent(root: Path) -> str | None:
    """The database opens read-only and equals its Parquet copy; returns the data version (None before any build)."""
    processed = root / "data" / "processed"
    db, parquet = processed / "hbmcycle.duckdb", processed / "parquet"
    if not db.exists():
        assert not (parquet / "hbm_generations.parquet").exists(), "Parquet without a database"
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        from_db = con.sql("SELECT * FROM hbm_generations ORDER BY generation").pl()
    from_parquet = pl.read_parquet(parquet / "hbm_generations.parquet").sort("generation")
    assert from_db.equals(from_parquet), "database and Parquet copies disagree"
    return from_db["notes"][0]


def assert_no_leftovers(root: Path) -> None:
    processed = root / "data" / "processed"
    names = sorted(p.name for p in processed.iterdir())
    assert names == [".build.lock", ".generations", "current", "hbmcycle.duckdb", "parquet"], names
    assert len(list((processed / ".generations").iterdir())) == 1


def test_kill_9_at_random_moments_never_leaves_a_disagreeing_pair(small_project):
    raw = small_project / "data" / "raw"
    builder = Builder(small_project)
    try:
        durations = []
        for _ in range(3):  # the quickest warm build: a kill before it has surely landed inside a build
            t0 = time.perf_counter()
            assert builder.wait(builder.start()) == 0
            durations.append(time.perf_counter() - t0)
        duration = min(durations)
        rng = random.Random(10)
        killed = 0
        for round_ in range(1, KILLS + 1):
            write_version(raw, round_)
            pid = builder.start()
            time.sleep(rng.uniform(0, duration * 0.9))
            os.kill(pid, signal.SIGKILL)
            killed += builder.wait(pid) == -signal.SIGKILL
            version = assert_consistent(small_project)
            assert version in {f"version {v}" for v in range(round_ + 1)}
        assert killed >= KILLS // 3, f"only {killed} of {KILLS} kills landed during a build"
        write_version(raw, 999)
        assert builder.wait(builder.start()) == 0
    finally:
        builder.close()
    assert assert_consistent(small_project) == "version 999"
    assert_no_leftovers(small_project)


def test_three_simultaneous_builds_serialise(small_project):
    raw = small_project / "data" / "raw"
    builder = Builder(small_project)
    try:
        for round_ in range(CONCURRENT_ROUNDS):
            write_version(raw, round_)
            pids = [builder.start() for _ in range(3)]
            assert [builder.wait(pid) for pid in pids] == [0, 0, 0]
            assert assert_consistent(small_project) == f"version {round_}"
            assert_no_leftovers(small_project)
    finally:
        builder.close()


WRITER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE scratch AS SELECT 42 AS answer")
print("written", flush=True)
time.sleep(60)
"""


def test_a_process_writing_the_database_stops_the_build_and_its_wal_never_breaks_readers(small_project):
    processed = small_project / "data" / "processed"
    build()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(processed / "hbmcycle.duckdb")], stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout.readline().strip() == b"written"
        with pytest.raises(BuildBusy, match=f"process {writer.pid} has .* open for writing"):
            build()
    finally:
        writer.kill()
        writer.wait()
    # The killed writer's WAL lies inside its own generation, beside its own file: readers replay it.
    assert list((processed / "current").glob("*.wal"))
    assert "scratch" in dbmod.read_tables(["scratch"])
    build()
    assert not list(processed.rglob("*.wal"))
    assert "scratch" not in dbmod.read_tables(["scratch"], missing_ok=True)
    assert dbmod.read_table("hbm_generations").height == len(GEN_ROWS)


def test_leftovers_of_the_old_layout_and_killed_builds_are_removed(small_project):
    processed = small_project / "data" / "processed"
    # the layout before generations (a real database file, a real Parquet folder) plus what killed builds left
    with duckdb.connect(str(processed / "hbmcycle.duckdb")) as con:
        con.execute("CREATE TABLE hbm_generations AS SELECT 'stale' AS generation")
    (processed / "parquet").mkdir()
    (processed / "parquet" / "hbm_generations.parquet").write_bytes(b"stale")
    (processed / "parquet.old").mkdir()
    (processed / ".hbmcycle-abc123.duckdb").write_bytes(b"")
    (processed / ".hbmcycle-abc123.duckdb.wal").write_bytes(b"")
    (processed / ".parquet-xyz").mkdir()
    (processed / ".calibration.json.123.tmp").write_text("{")
    build()
    assert assert_consistent(small_project) == "version 0"
    build()  # the old Parquet folder, set aside by the first build, goes with the second at the latest
    assert_no_leftovers(small_project)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_honour_the_umask(small_project, umask):
    old = os.umask(umask)
    try:
        build()
    finally:
        os.umask(old)
    processed = small_project / "data" / "processed"
    outputs = [p for p in processed.rglob("*") if not p.is_symlink()]
    assert any(p.suffix == ".parquet" for p in outputs) and any(p.suffix == ".duckdb" for p in outputs)
    for path in outputs:
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_a_build_waits_for_the_lock_and_gives_up_clearly(small_project):
    processed = small_project / "data" / "processed"
    with (
        generation.build_lock(processed),
        pytest.raises(BuildBusy, match="another build held"),
        generation.build_lock(processed, wait_s=0.2),
    ):
        pass


def test_truncated_calibration_is_refitted_not_a_crash(project, monkeypatch):
    from hbmcycle.inference import constants

    from inference_toys import accelerators, models, toy_measurements

    tables = {"accelerators": accelerators(), "llm_models": models(), "decode_measurements": toy_measurements()}
    first = constants.current(tables)
    text = constants.calibration_path().read_text()
    constants.calibration_path().write_text(text[: len(text) // 2])
    again = constants.current(tables)
    assert again.inputs_sha256 == first.inputs_sha256
    assert json.loads(constants.calibration_path().read_text())["inputs_sha256"] == first.inputs_sha256
