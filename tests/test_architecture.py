"""The import graph matches the README's Architecture section: no cycles, no deferred imports, views at the top."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "finder"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(node: ast.AST) -> list[str]:
    """The finder modules one import statement loads."""
    found = []
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("finder"):
        for alias in node.names:
            candidate = f"{node.module}.{alias.name}"
            found.append(candidate if candidate in MODULES else node.module)
    elif isinstance(node, ast.Import):
        found += [alias.name for alias in node.names if alias.name.startswith("finder")]
    return found


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {name for node in tree.body if not _is_type_checking(node) for name in _imports(node)}


GRAPH = {name: _top_level_imports(path) for name, path in MODULES.items()}


def _within_own_package(importer: str, imported: str) -> bool:
    """A module importing its own package (or a package importing its own modules) is how packages work."""
    return importer.startswith(imported + ".") or imported.startswith(importer + ".")


def test_no_import_cycles() -> None:
    edges = {m: {t for t in targets if t in MODULES and not _within_own_package(m, t)} for m, targets in GRAPH.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


def test_no_deferred_imports() -> None:
    """An import inside a function hides a cycle (type-checking-only imports aside)."""
    deferred = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        checking = {id(n) for node in tree.body if _is_type_checking(node) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) not in top and id(node) not in checking and _imports(node):
                deferred.append(f"{name}:{node.lineno}")
    assert deferred == []


def test_only_views_and_the_app_import_views() -> None:
    wrong = [(m, t) for m, targets in GRAPH.items() for t in targets
             if t.endswith(".views") and not (m == "finder" or m.endswith(".views"))]
    assert wrong == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("finder.core.")))
def test_pure_cores_import_only_cores_and_models(module: str) -> None:
    outside = [t for t in GRAPH[module] if not t.startswith(("finder.core", "finder.models"))]
    assert outside == []


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0]


def test_views_import_no_other_packages_views() -> None:
    """What two areas' pages share lives beneath them (a form, a service, admin.pages), never in either's views."""
    wrong = [(m, t) for m, targets in GRAPH.items() if m.endswith(".views") for t in targets
             if t.endswith(".views") and _package(t) != _package(m)]
    assert wrong == []


# Template globals and filters are registered in one module each; the admin layout's values are one function
# (finder.admin.pages.admin_globals) that the blueprints whose pages extend admin/base.html register.
REGISTRARS = {
    "add_template_global": {"finder.web.template_globals"}, "app_template_global": set(),
    "add_app_template_global": set(), "template_global": set(),
    "add_template_filter": {"finder.web.filters"}, "app_template_filter": set(),
    "add_app_template_filter": set(), "template_filter": set(),
    "context_processor": {"finder.web.template_globals"}, "app_context_processor": set(),
    "globals": set(), "filters": set(),  # app.jinja_env.globals/filters changed by hand
}


def test_template_globals_and_filters_are_registered_in_one_place() -> None:
    wrong = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr in REGISTRARS and name not in REGISTRARS[node.attr]
                    and (node.attr not in ("globals", "filters") or ast.unparse(node.value).endswith("jinja_env"))):
                wrong.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    admin_layout = [w for w in wrong if w.endswith(".context_processor")]
    assert [w for w in wrong if w not in admin_layout] == []
    for entry in admin_layout:  # only ever the one admin layout function
        module, line = entry.split(" ")[0].split(":")
        source = MODULES[module].read_text().splitlines()[int(line) - 1]
        assert "context_processor(pages.admin_globals)" in source, entry


def test_no_test_module_imports_another_test_module() -> None:
    """Shared fixtures live in conftest.py and plain helpers in tests/helpers.py, so each test module stands alone."""
    tests = PACKAGE.parent / "tests"
    wrong = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            wrong += [f"{path.relative_to(tests)}: {n}" for n in names if n.rsplit(".", 1)[-1].startswith("test_")]
    assert wrong == []
