"""The import graph runs one way (docs/architecture.md, "Layers").

Every module of ``porto/`` and ``bench/`` is parsed with ``ast``; module-level and
function-level imports both count. Checked: no import cycle between modules, none between
apps, a reason on every function-local import (and only the allowed kinds), the mail app's
rows at the bottom and its tasks on top, and no reaching into ``tests`` or another module's
private names.
"""

import ast
import io
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("porto", "bench")

# Module-level files of the project package that are not an app: they wire the apps together.
PROJECT_MODULES = {
    "porto",
    "porto.settings",
    "porto.urls",
    "porto.wsgi",
    "porto.asgi",
    "porto.gunicorn_conf",  # the web server's settings, read by gunicorn
}

# Which app may import which (besides itself and ``porto.lib``). Everything not listed is
# forbidden; the app graph must also stay free of cycles.
ALLOWED_APP_IMPORTS = {
    "porto.lib": set(),
    "porto.formats": set(),  # read by Django through FORMAT_MODULE_PATH, imported by no app
    "porto.accounts": set(),
    "porto.clients": {"porto.accounts"},
    "porto.emailsettings": {"porto.accounts"},
    "porto.documents": {"porto.accounts", "porto.clients"},
    "porto.emailtexts": {"porto.accounts", "porto.documents"},
    "porto.mail": {
        "porto.accounts",
        "porto.clients",
        "porto.documents",
        "porto.emailsettings",
        "porto.emailtexts",
    },
    "porto.sandbox": {"porto.accounts", "porto.mail"},
    # The REST API: resources over every app's services and selectors (the sandbox excepted).
    "porto.api": {
        "porto.accounts",
        "porto.clients",
        "porto.documents",
        "porto.emailsettings",
        "porto.emailtexts",
        "porto.hooks",  # the webhook endpoints resource
        "porto.mail",
    },
    "porto.hooks": {"porto.accounts", "porto.clients", "porto.documents", "porto.mail"},
    "porto.web": {
        "porto.accounts",
        "porto.clients",
        "porto.documents",
        "porto.emailsettings",
        "porto.emailtexts",
        "porto.hooks",
        "porto.mail",
    },
}

# The mail app's layers: rows at the bottom, tasks on top.
MAIL_TASK_MODULES = {"porto.mail.tasks", "porto.mail.feedback.tasks"}
TASK_MODULES = MAIL_TASK_MODULES | {"porto.hooks.tasks"}
# What the mail models may import from their own app: pure rules and the helpers beside them.
MAIL_MODELS_MAY_IMPORT = {
    "porto.mail.status",
    "porto.mail.keys",
    # The provider registry: data about each provider; it reads and writes no rows.
    "porto.mail.providers",
}
# Modules a task module may be imported by: the callers that enqueue (views, commands) and
# other task modules.
ENQUEUE_CALLERS_SUFFIXES = ("views", "tracking_views")
# Packages whose every module is a view (the API's resources: porto/api/views/<resource>.py).
ENQUEUE_CALLERS_PACKAGES = ("porto.api.views.",)
# App configs that import a task module only to connect its signal receivers (which enqueue).
SIGNAL_WIRING = {"porto.hooks.apps", "porto.mail.apps"}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module imported, resolved (``from a import b`` → ``a.b`` if a module)
    names: tuple[str, ...]  # the names taken from ``target`` (empty for ``import x``)
    line: int
    local: bool  # inside a function
    function: str  # the enclosing function's name ("" at module level)
    comment: str  # the comment on the import's lines, without ``noqa`` codes


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # frozen history: they name what existed when they were written
            files[module_name(path)] = path
    return files


def comments_by_line(source: str) -> dict[int, str]:
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
    return comments


def reason_of(comment: str) -> str:
    """The words of a comment that are not a linter code (``# noqa: F401 - why`` → why)."""
    text = comment.lstrip("#").strip()
    if text.startswith("noqa"):
        text = text.split(":", 1)[1] if ":" in text else ""
        words = text.split()
        while words and (words[0].rstrip(",").isalnum() and words[0][:1].isupper()):
            words.pop(0)  # the codes: F401, E402, ...
        text = " ".join(words).lstrip("-( ").rstrip(") ")
    return text.strip()


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


class ImportCollector(ast.NodeVisitor):
    def __init__(self, importer: str, is_package: bool, comments: dict[int, str], known) -> None:
        self.importer = importer
        self.is_package = is_package
        self.comments = comments
        self.known = known
        self.functions: list[str] = []
        self.found: list[Import] = []

    def visit_FunctionDef(self, node) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def comment_of(self, node: ast.stmt) -> str:
        end = node.end_lineno or node.lineno
        texts = [self.comments[n] for n in range(node.lineno, end + 1) if n in self.comments]
        return " ".join(reason_of(text) for text in texts).strip()

    def add(self, node: ast.stmt, target: str, names: tuple[str, ...]) -> None:
        self.found.append(
            Import(
                importer=self.importer,
                target=target,
                names=names,
                line=node.lineno,
                local=bool(self.functions),
                function=self.functions[-1] if self.functions else "",
                comment=self.comment_of(node),
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(node, alias.name, ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = resolve(self.importer, self.is_package, node)
        taken = []
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            if submodule in self.known:
                self.add(node, submodule, ())
            else:
                taken.append(alias.name)
        if taken or not node.names:
            self.add(node, source, tuple(taken))


def imports_of(files: Mapping[str, Path]) -> list[Import]:
    found = []
    for name, path in files.items():
        source = path.read_text(encoding="utf-8")
        collector = ImportCollector(
            name, path.name == "__init__.py", comments_by_line(source), files
        )
        collector.visit(ast.parse(source, filename=str(path)))
        found += collector.found
    return found


def initializing_packages(target: str, importer: str, files: Mapping[str, Path]) -> list[str]:
    """The packages whose ``__init__`` runs when ``target`` is imported and that import
    something themselves (outside the importer's own packages, which are already running)."""
    parts = target.split(".")
    packages = [".".join(parts[:n]) for n in range(1, len(parts))]
    return [
        package
        for package in packages
        if package in files
        and not (importer == package or importer.startswith(package + "."))
        and "import" in files[package].read_text(encoding="utf-8")
    ]


def module_graph(imports: Iterable[Import], files: Mapping[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in files}
    for item in imports:
        targets = [item.target, *initializing_packages(item.target, item.importer, files)]
        for target in targets:
            if target in files and target != item.importer:
                graph[item.importer].add(target)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (or a node importing
    itself), each sorted; Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return sorted(found)


def app_of(module: str) -> str:
    if module in PROJECT_MODULES or not module.startswith("porto."):
        return ""
    return ".".join(module.split(".")[:2])


def app_graph(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    apps: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = app_of(module)
        if not source:
            continue
        apps.setdefault(source, set())
        for target in targets:
            if app_of(target) and app_of(target) != source:
                apps[source].add(app_of(target))
    return apps


def where(items: Iterable[Import]) -> list[str]:
    return sorted(f"{item.importer}:{item.line} imports {item.target}" for item in items)


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    return project_files()


@pytest.fixture(scope="module")
def imports(files) -> list[Import]:
    return imports_of(files)


@pytest.fixture(scope="module")
def graph(imports, files) -> dict[str, set[str]]:
    return module_graph(imports, files)


# --- the cycle finder itself ---------------------------------------------------------------


def test_the_cycle_finder_reports_every_circle_and_only_circles():
    made_up = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},  # a → b → c → a
        "d": {"e"},
        "e": set(),
        "f": {"f"},  # a module importing itself
        "g": {"h"},
        "h": {"g", "e"},  # g ↔ h
    }
    assert cycles(made_up) == [["a", "b", "c"], ["f"], ["g", "h"]]


def test_the_cycle_finder_finds_nothing_in_a_one_way_graph():
    assert cycles({"views": {"services", "models"}, "services": {"models"}, "models": set()}) == []


def test_a_function_local_import_is_part_of_the_graph():
    source = "def later():\n    from porto.mail import tasks  # noqa: F401\n"
    collector = ImportCollector("porto.mail.delivery", False, comments_by_line(source), set())
    collector.visit(ast.parse(source))
    [found] = collector.found
    assert (found.target, found.local, found.function, found.comment) == (
        "porto.mail",
        True,
        "later",
        "",
    )


def test_a_noqa_code_alone_is_no_reason():
    assert reason_of("# noqa: F401") == ""
    assert reason_of("# noqa: F401 - registers the deploy check") == "registers the deploy check"
    assert (
        reason_of("# heavy: loads Saxon only to validate") == "heavy: loads Saxon only to validate"
    )


# --- the project ---------------------------------------------------------------------------


def test_the_parser_sees_the_whole_project(files, graph):
    assert {"porto.mail.delivery", "porto.mail.models", "porto.sandbox.services"} <= set(files)
    assert "porto.mail.models" in graph["porto.mail.delivery"]


def test_no_import_cycle_between_modules(graph):
    found = cycles(graph)
    assert found == [], "Import cycles (each list is one circle):\n" + "\n".join(
        " ↔ ".join(component) for component in found
    )


def test_no_import_cycle_between_apps(graph):
    found = cycles(app_graph(graph))
    assert found == [], f"Apps importing each other: {found}"


def test_each_app_imports_only_the_apps_below_it(graph):
    unexpected = {
        app: sorted(targets - ALLOWED_APP_IMPORTS.get(app, set()) - {"porto.lib"})
        for app, targets in app_graph(graph).items()
    }
    assert {app: targets for app, targets in unexpected.items() if targets} == {}
    assert app_graph(graph)["porto.lib"] == set(), "porto.lib is the bottom: it imports no app"


def test_every_app_is_known_to_the_layer_table(files):
    apps = {app_of(name) for name in files if app_of(name)}
    assert apps == set(ALLOWED_APP_IMPORTS)


def allowed_local(item: Import) -> bool:
    """AppConfig.ready() registering something, or an optional heavy third-party library
    loaded late: never one of our own modules elsewhere (that would hide a cycle)."""
    if item.function == "ready":
        return True
    return not item.target.startswith(PACKAGES) and item.importer.startswith("porto")


def test_every_function_local_import_in_porto_names_its_reason(imports):
    local = [item for item in imports if item.local and item.importer.startswith("porto")]
    assert where(item for item in local if not item.comment) == []
    assert where(item for item in local if not allowed_local(item)) == []


def test_the_mail_models_import_no_service_task_or_feedback_module(graph):
    own = {target for target in graph["porto.mail.models"] if app_of(target) == "porto.mail"}
    assert sorted(own - MAIL_MODELS_MAY_IMPORT) == []


def test_the_models_exceptions_are_still_needed(graph):
    assert MAIL_MODELS_MAY_IMPORT & graph["porto.mail.models"] == MAIL_MODELS_MAY_IMPORT


def test_tasks_are_on_top_no_service_imports_a_task_module(graph):
    importers = {
        module: sorted(targets & TASK_MODULES)
        for module, targets in graph.items()
        if targets & TASK_MODULES and module.startswith("porto.")
    }
    services = {
        module: targets
        for module, targets in importers.items()
        if module not in TASK_MODULES | SIGNAL_WIRING
        and not module.rsplit(".", 1)[-1].endswith(ENQUEUE_CALLERS_SUFFIXES)
        and not module.startswith(ENQUEUE_CALLERS_PACKAGES)
        and ".management.commands." not in module
    }
    assert services == {}


@pytest.mark.parametrize(
    ("service", "task_module"),
    [
        ("porto.mail.delivery", "porto.mail.tasks"),
        ("porto.mail.feedback.webhooks", "porto.mail.tasks"),
        ("porto.mail.feedback.refresh.services", "porto.mail.feedback.tasks"),
        ("porto.mail.requests", "porto.mail.tasks"),
    ],
)
def test_the_services_named_in_the_layering_issue_do_not_reach_their_tasks(
    graph, service, task_module
):
    assert task_module not in graph[service]


def test_mail_does_not_import_the_sandbox(graph):
    assert where_app(graph, "porto.mail", "porto.sandbox") == []


def where_app(graph, source: str, target: str) -> list[str]:
    return sorted(
        f"{module} → {imported}"
        for module, targets in graph.items()
        if app_of(module) == source
        for imported in targets
        if app_of(imported) == target
    )


def test_bench_does_not_import_the_tests(imports):
    reaching = [
        item
        for item in imports
        if item.importer.startswith("bench")
        and (item.target == "tests" or item.target.startswith("tests."))
    ]
    assert where(reaching) == []


def private_names_taken(imports: Iterable[Import]) -> list[str]:
    return sorted(
        f"{item.importer}:{item.line} takes {item.target}.{name}"
        for item in imports
        if item.target != item.importer
        for name in item.names
        if name.startswith("_") and not name.startswith("__")
    )


def private_attributes_read(files: Mapping[str, Path]) -> list[str]:
    """``module._name`` where ``module`` was imported as a whole (``from a import module``)."""
    found = []
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {
            (alias.asname or alias.name): f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
            if f"{node.module}.{alias.name}" in files
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{name}:{node.lineno} reads {modules[node.value.id]}.{node.attr}")
    return sorted(found)


def test_no_module_takes_a_private_name_of_another(imports, files):
    assert private_names_taken(imports) == []
    assert private_attributes_read(files) == []


def test_the_private_name_check_can_fail():
    taken = Import("bench.x", "porto.documents.rendering.files", ("_store",), 3, True, "f", "")
    assert private_names_taken([taken]) == [
        "bench.x:3 takes porto.documents.rendering.files._store"
    ]
