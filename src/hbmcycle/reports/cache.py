"""When a report must be rendered again: the fingerprint of everything its HTML depends on.

A report's fingerprint hashes its notebook, the source of every ``hbmcycle`` module the
notebook imports (followed transitively through the package, with the YAML files of the
packages involved), the renderer itself (this package, charts, templates), the lock file (library
versions), the database file, the engine constants and the parameters. A render stores the
fingerprint beside the executed notebook; an unchanged fingerprint means the HTML is current.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path

from hbmcycle import paths

PACKAGE = Path(__file__).resolve().parents[1]  # src/hbmcycle
RENDERER_FILES = ("reports", "charts.py", "templates", "verdicts.py")


def module_path(module: str) -> Path | None:
    """The file of an ``hbmcycle.x.y`` module (``x/y.py`` or ``x/y/__init__.py``), or None."""
    parts = module.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=512)
def _module_imports(path: Path, mtime_ns: int, package: str) -> frozenset[str]:
    """The imports of one module file, parsed once per process (several notebooks share modules).

    Parsing every module of the package costs about half a second, so the parsed imports are also
    kept on disk keyed by the sha256 of the source and the package: an edited file has a new key.
    """
    source = path.read_text(encoding="utf-8")
    key = f"{hashlib.sha256(source.encode()).hexdigest()}:{package}"
    known = _known_imports()
    if key not in known:
        known[key] = sorted(_imports(source, package))
        _unsaved.add(key)
    return frozenset(known[key])


_unsaved: set[str] = set()


def _imports_cache_path() -> Path:
    from hbmcycle.reports import files

    return files.build_dir() / "imports-cache.json"


@functools.lru_cache(maxsize=1)
def _known_imports() -> dict[str, list[str]]:
    try:
        known = json.loads(_imports_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _save_known_imports() -> None:
    if _unsaved:
        from hbmcycle.reports import files

        files.write_atomic(_imports_cache_path(), json.dumps(_known_imports(), sort_keys=True))
        _unsaved.clear()


def _statements(body: list[ast.stmt]):
    """Every statement in a body, nested ones included (imports are statements: expressions are skipped)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            nested = getattr(node, field, None)
            if isinstance(nested, list):
                yield from _statements(nested)
        for block in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
            yield from _statements(block.body)


def _imports(source: str, here: str) -> set[str]:
    """hbmcycle modules a source imports (``from hbmcycle.x import y`` counts y too, it may be a module)."""
    if "hbmcycle" not in source and "from ." not in source:
        return set()  # imports nothing of the package: no need to parse it
    found = set()
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("hbmcycle")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here.split(".")[: -node.level] + ([base] if base else []))
            if base.startswith("hbmcycle"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    return found


def closure(source: str) -> list[Path]:
    """Every hbmcycle source file reachable by imports from ``source`` (parents' __init__ included)."""
    return sorted(set(_reachable(source).values()))


def imported_modules(source: str) -> list[str]:
    """The names of the hbmcycle modules reachable by imports from ``source`` (as `closure`, by name)."""
    return sorted(_reachable(source))


def _reachable(source: str) -> dict[str, Path]:
    seen: dict[str, Path] = {}
    todo = list(_imports(source, "hbmcycle"))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_path(name)
        if path is None:
            continue
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        todo += _module_imports(path, path.stat().st_mtime_ns, package + ".x")
        todo += [".".join(name.split(".")[:i]) for i in range(2, len(name.split(".")))]
    return seen


def _package_data(files: list[Path]) -> list[Path]:
    folders = {f.parent for f in files}
    return sorted(p for folder in folders for p in folder.glob("*.yaml"))


def _renderer_files() -> list[Path]:
    out = []
    for name in RENDERER_FILES:
        path = PACKAGE / name
        out += (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
    return out


def _digest_files(digest, files: list[Path]) -> None:
    for path in files:
        digest.update(str(path.relative_to(path.anchor)).encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")


def shared() -> str:
    """sha256 of what every report depends on: the renderer, the lock file and the database file."""
    digest = hashlib.sha256()
    _digest_files(digest, [*_renderer_files(), paths.repo_root() / "requirements.lock", paths.db_path()])
    return digest.hexdigest()


def fingerprint(notebook: Path, parameters: dict, constants_label: str, shared_hash: str) -> str:
    """sha256 over everything one rendered report depends on (see the module docstring)."""
    text = notebook.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode())
    code = closure(text)
    _save_known_imports()
    _digest_files(digest, [*code, *_package_data(code)])
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(f"{constants_label}|{shared_hash}".encode())
    return digest.hexdigest()
