"""The project's rooms: dependencies run one way, and no module-level import cycle."""

import ast
from pathlib import Path

from django.conf import settings

PACKAGES = [
    "core",
    "territories",
    "actors",
    "support",
    "grants",
    "events",
    "alerts",
    "essdir",
    "bench",
]
# Lower layers never import higher ones: the shared infrastructure (core, which imports no
# app) ← territories ← actors ← support ← grants ← events ← alerts ← the site (essdir, which
# composes the apps' pages) ← the benchmark (bench, which serves the site beside its floor
# page).
LAYERS = [
    ("core", 0),
    ("territories", 1),
    ("actors", 2),
    # Support services (data·inclusion) link to ESS structures and serve territories; the
    # floors above may show them. Between actors and the next floor.
    ("support", 2.5),
    ("grants", 3),
    ("events", 4),
    ("alerts", 5),
    ("essdir", 6),
    ("bench", 7),
]
# Who declares each URL namespace, by layer.
NAMESPACES = {
    "territories": 1,
    "actors": 2,
    "support": 2.5,
    "grants": 3,
    "events": 4,
    "alerts": 5,
    "site": 6,
    "widget": 6,
    "backoffice": 6,
    "api": 6,
}
# The stated exception: a record links to its own page, which the site composes because it
# shows records of apps above the record's own (a territory's page lists its structures and
# events; a structure's page its events; a scheme's page the structures that carry it). Its
# model's get_absolute_url, and the lists that link to it, reverse that name.
RECORD_PAGES = {"site:territory", "site:collectivite", "site:scheme", "site:actor"}
REVERSING = {"reverse", "reverse_lazy", "cached_reverse", "redirect", "resolve_url"}


def layer(module: str) -> int:
    return next(
        rank for prefix, rank in LAYERS if module == prefix or module.startswith(f"{prefix}.")
    )


def project_modules() -> dict[str, Path]:
    base = Path(settings.BASE_DIR)
    modules = {}
    for package in PACKAGES:
        for path in (base / package).rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(
        node.test
    )


def imported_names(node: ast.AST) -> set[str]:
    """The modules (and `module.name` candidates) one import statement names."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return set()


def module_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports when it is imported (not inside functions)."""
    found = set()
    pending = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and not _is_type_checking(node):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
        elif isinstance(node, ast.ClassDef):
            pending.extend(node.body)
        found |= imported_names(node)
    return {name for name in found if name in modules and modules[name] != path}


def all_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports anywhere, inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set().union(*(imported_names(node) for node in ast.walk(tree)))
    return {name for name in found if name in modules and modules[name] != path}


def import_graph(collect=module_level_imports) -> dict[str, set[str]]:
    modules = project_modules()
    return {name: collect(path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` as [a, b, …, a], or [] when there is none."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_project_has_no_module_level_import_cycle():
    assert find_cycle(import_graph()) == []


def test_cycle_finder_reports_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}

    assert find_cycle(graph) == ["a", "b", "c", "a"]


def test_dependencies_run_one_way_even_inside_functions():
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph(all_imports).items()
        for target in targets
        if layer(target) > layer(module)
    )

    assert upward == []


def reversed_names(source: str) -> set[str]:
    """The namespaced URL names that a module reverses with a literal name."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if called in REVERSING and isinstance(first, ast.Constant) and ":" in str(first.value):
            names.add(first.value)
    return names


def upward_url_names(modules: dict[str, Path]) -> list[str]:
    found = []
    for module, path in modules.items():
        for name in reversed_names(path.read_text(encoding="utf-8")):
            namespace = name.split(":", 1)[0]
            owner = NAMESPACES.get(namespace)
            if owner is not None and owner > layer(module) and name not in RECORD_PAGES:
                found.append(f"{module} reverses {name}")
    return sorted(found)


def test_lower_layers_reverse_no_higher_layer_url_name():
    assert upward_url_names(project_modules()) == []


def test_upward_url_names_are_reported(tmp_path):
    source = tmp_path / "module.py"
    source.write_text(
        "from django.urls import reverse\n"
        "def f():\n"
        "    reverse('alerts:create')\n"
        "    reverse('site:territory', kwargs={'slug': 'x'})\n"
        "    redirect('actors:list')\n"
    )

    assert upward_url_names({"territories.views": source}) == [
        "territories.views reverses actors:list",
        "territories.views reverses alerts:create",
    ]


def test_every_url_namespace_has_a_layer():
    from django.urls import get_resolver

    # The admin's namespace is Django's own; the back-office's additions are "backoffice".
    assert set(get_resolver().namespace_dict) - {"admin"} == set(NAMESPACES)


MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines():
    """One home per concept: a module past this size holds more than one (migrations are
    written by Django, not read as a concept)."""
    too_long = {
        module: length
        for module, path in project_modules().items()
        if "migrations" not in path.parts
        and (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }

    assert too_long == {}


def test_type_checking_imports_are_not_counted(tmp_path):
    source = tmp_path / "module.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from events.models import Event\n"
        "from actors.models import Actor\n"
    )
    modules = {"events.models": Path("events/models.py"), "actors.models": Path("actors/models.py")}

    assert module_level_imports(source, modules) == {"actors.models"}
