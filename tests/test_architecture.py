"""The shape of the code: the layers import only downwards, every task has a pinned name,
and the app packages keep the files a newcomer expects.

Layers (docs/architecture.md): ocrm (the kernel) <- sysadmin <- customers <- workbench,
marketing, crossborder <- reports. Every import counts, function-level ones included: a
lower layer that must react to a higher one offers a registry or a signal instead.
"""

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

from ocrm.celery import app as celery_app
from tests.conftest import BASE_DIR

LAYERS = {"ocrm": 0, "sysadmin": 1, "customers": 2, "workbench": 3, "marketing": 3, "crossborder": 3, "reports": 4}


def app_modules():
    """(app, module path, source) of every Python file of the apps, migrations included."""
    for app in LAYERS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            yield app, path, path.read_text(encoding="utf-8")


def imported_apps(source):
    """(line, imported app) for every import statement of a module, at any depth."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in LAYERS:
                yield node.lineno, top


def upward_imports(modules):
    found = []
    for app, path, source in modules:
        for line, other in imported_apps(source):
            if LAYERS[other] > LAYERS[app]:
                found.append(f"{path.relative_to(BASE_DIR)}:{line} ({app}) imports {other}")
    return found


def test_no_module_imports_a_higher_layer():
    found = upward_imports(app_modules())
    assert not found, "Imports that point up a layer (use a registry or a signal in the lower app):\n" + "\n".join(found)


def test_the_check_sees_function_level_imports():
    """The rule must notice an upward import hidden inside a function, not only module-level ones."""
    source = "def ready():\n    from customers.models import Customer\n"
    assert upward_imports([("sysadmin", BASE_DIR / "sysadmin" / "x.py", source)]) == [
        "sysadmin/x.py:2 (sysadmin) imports customers"
    ]


def test_apps_of_one_layer_do_not_import_each_other_in_a_circle():
    graph = defaultdict(set)
    for app, _path, source in app_modules():
        for _line, other in imported_apps(source):
            if other != app and LAYERS[other] == LAYERS[app]:
                graph[app].add(other)
    for app in list(graph):  # graph[other] below adds keys (a defaultdict)
        seen, todo = set(), list(graph[app])
        while todo:
            other = todo.pop()
            assert other != app, f"{app} and the apps it imports at its own layer import {app} again: {dict(graph)}"
            if other not in seen:
                seen.add(other)
                todo.extend(graph[other])


def test_every_task_has_a_pinned_name():
    """Beat rows and queued messages name tasks; a task named after its module would change name
    whenever the module moves."""
    unnamed = []
    for _app, path, source in app_modules():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                func = call.func if call else decorator
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("shared_task", "task") and not (call and any(k.arg == "name" for k in call.keywords)):
                    unnamed.append(f"{path.relative_to(BASE_DIR)}:{node.lineno} {node.name}")
    assert not unnamed, "Tasks without name=:\n" + "\n".join(unnamed)


def test_registered_tasks_answer_to_their_pinned_names():
    celery_app.loader.import_default_modules()
    expected = {
        "customers.tasks_lifecycle.run_lifecycle",
        "customers.tasks_matching.find_duplicates",
        "customers.tasks_assignment.apply_attribution_rules",
        "customers.tasks.clean_up_ended_shares",
        "customers.tasks_feeds.scan_feed_inbox",
        "customers.tasks_feeds.load_feed",
        "customers.tasks_batch.apply_maintenance_batch",
        "sysadmin.tasks.purge_audit_log",
        "sysadmin.tasks.send_password_expiry_notices",
        "sysadmin.imports.tasks.import_inbox",
        "sysadmin.imports.tasks.apply_import_batch",
        "ocrm.tasks.run_export",
        "ocrm.tasks.purge_export_files",
    }
    assert expected <= set(celery_app.tasks)


AREA_FILES = {"models.py", "services.py", "forms.py", "filtersets.py", "tables.py", "views.py", "urls.py", "tasks.py"}


@pytest.mark.parametrize(
    "area",
    [
        "customers/master",
        "customers/profile",
        "customers/ecif/feeds",
        "customers/ecif/matching",
        "customers/maintenance",
        "customers/lifecycle",
        "customers/ownership/assignment",
        "customers/ownership/sharing",
        "sysadmin/org",
        "sysadmin/accounts",
        "sysadmin/audit",
        "sysadmin/imports",
    ],
)
def test_areas_use_the_common_file_names(area):
    """An area is a package whose modules carry the same names everywhere; no views_*.py or
    models_*.py splits inside it."""
    files = {path.name for path in (BASE_DIR / area).glob("*.py")}
    assert "__init__.py" in files and files & AREA_FILES
    odd = sorted(
        name
        for name in files
        if "_" in name.removesuffix(".py").lstrip("_")
        and name.startswith(("models_", "views_", "urls_", "tasks_", "services_", "forms_", "tables_", "filtersets_"))
    )
    assert not odd, f"{area}: split modules {odd}; one module per kind"


def test_no_star_imports():
    found = [
        f"{path.relative_to(BASE_DIR)}"
        for _app, path, source in app_modules()
        if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(ast.parse(source)))
    ]
    assert not found, f"star imports: {found}"


def test_app_level_modules_are_few():
    """The app's own modules only gather its areas (Django's fixed names) plus a few app-wide ones."""
    allowed = {
        "customers": {"__init__.py", "apps.py", "admin.py", "models.py", "urls.py", "tasks.py", "navigation.py",
                      "parameters.py", "demo.py"},
        "sysadmin": {"__init__.py", "apps.py", "admin.py", "models.py", "urls.py", "tasks.py", "navigation.py",
                     "roles.py", "demo.py"},
    }  # fmt: skip
    for app, names in allowed.items():
        files = {path.name for path in Path(BASE_DIR / app).glob("*.py")}
        assert files <= names, f"{app}: modules outside an area: {sorted(files - names)}"


def test_every_module_imports():
    """A module no test happens to load (a view of a rarely used page, a task) still imports:
    a moved name fails here, not in a worker at night."""
    failures = []
    for app in LAYERS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(BASE_DIR).with_suffix("").parts).removesuffix(".__init__")
            try:
                importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001 - every kind of failure is reported with its module
                failures.append(f"{module}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
