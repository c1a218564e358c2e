"""Arrows point down: no app imports a higher app or one of its own level, not even in a function.

Apps plug into pages above them through the registries in ``core/registry.py`` instead. Template
includes are checked too, since an ``{% include "plans/…" %}`` in a threats template ties the two
apps together just as an import does.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "socmaster"

#: The apps, lowest first. An app may import only apps of a lower level.
LEVELS = {
    "core": 0,
    "organisations": 1,
    "threats": 2,
    "assessments": 3,
    "disruptions": 3,
    "plans": 4,
    "intelligence": 4,
    "gateway": 4,
    "tasking": 5,
    "linkage": 5,
    "reporting": 5,
    "network": 6,
    "web": 7,
}
#: Pure engines import no app; they may use one another.
PURE = {"morile", "synth"}
#: The project's own modules, which only the top layer (web) may import.
PROJECT = {"settings", "urls", "wsgi", "cli"}

#: Upward imports that are older than this rule. Remove an entry when its import goes.
KNOWN = {
    ("core/policy.py", "socmaster.organisations.choices"),  # the role names the policy checks
    ("organisations/views.py", "socmaster.threats.models"),  # threats on organisation/user pages
}


def _allowed(app: str, other: str) -> bool:
    if other == app:
        return True
    if app in PURE:
        return other in PURE
    if other in PURE:
        return True
    if other in PROJECT:
        return app == "web"
    return LEVELS[other] < LEVELS[app]


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) < 2:
            continue  # the project's own modules (settings, urls, ...)
        app = rel.parts[0]
        assert app in LEVELS or app in PURE, f"{app} has no level in LEVELS"
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "socmaster" and len(parts) > 1 and not _allowed(app, parts[1]):
                found.add((rel.as_posix(), module))
    return found


def test_no_app_imports_a_higher_app_or_a_peer():
    found = _upward_imports()
    assert found - KNOWN == set()
    assert KNOWN - found == set(), "an old upward import has gone: remove it from KNOWN"


def test_no_template_includes_a_higher_app_template():
    include = re.compile(r"""\{%\s*(?:include|extends)\s+["']([a-z_]+)/""")
    found = []
    for path in SRC.glob("*/templates/**/*.html"):
        app = path.relative_to(SRC).parts[0]
        for other in include.findall(path.read_text()):
            # Every app's pages extend web/base.html and share its form partials.
            if other != "web" and other in LEVELS and not _allowed(app, other):
                found.append((path.relative_to(SRC).as_posix(), other))
    assert found == []


def test_the_threat_page_imports_no_higher_app():
    source = (SRC / "threats" / "views.py").read_text()
    for app in ("assessments", "disruptions", "plans", "reporting", "web"):
        assert f"socmaster.{app}" not in source


def test_the_pure_engines_import_no_django_and_no_app():
    """``linkage/engine`` and ``network/engine`` (like ``morile`` and ``synth``) take and return
    plain data: no Django, no app of the project."""
    engines = [*SRC.glob("linkage/engine/*.py"), *SRC.glob("network/engine/*.py")]
    assert len(engines) >= 4
    for path in engines:
        app = path.relative_to(SRC).parts[0]
        for module in _imports(path):
            parts = module.split(".")
            assert parts[0] != "django", f"{path} imports {module}"
            if parts[0] == "socmaster" and len(parts) > 1:
                assert parts[1] in PURE or module.startswith(f"socmaster.{app}.engine"), (
                    f"{path} imports {module}"
                )
