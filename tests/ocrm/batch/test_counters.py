"""Every count a job reports has a translated label on the jobs pages (issue 12.6: the pages
showed "changed, loaded, matched" as they are in the code). The count names are read from the
code: keyword arguments of run.count()/run.add() and the keys of `counts = {...}` literals."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from ocrm.batch import jobs

BASE_DIR = Path(__file__).resolve().parents[3]
APPS = ("ocrm", "sysadmin", "customers", "workbench", "marketing", "crossborder", "reports")
RECEIVERS = ("run", "parent", "sub", "own", "handle", "self.run")


def receiver(node):
    return ast.unparse(node).split(".")[-1] if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def stem_of(joined):
    """f"deleted{scope.count_suffix}" -> the names it makes: deleted, deleted_without_bank."""
    stem = "".join(v.value for v in joined.values if isinstance(v, ast.Constant))
    return [stem, stem + "_without_bank"]


def names_in_call(node):
    """run.count(a=1), run.add(**{"a": 1}), run.add(**{f"deleted{suffix}": n})."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("count", "add")
        and receiver(node.func.value) in RECEIVERS
    ):
        return []
    names = [keyword.arg for keyword in node.keywords if keyword.arg]
    for keyword in node.keywords:
        if keyword.arg is None and isinstance(keyword.value, ast.Dict):
            for key in keyword.value.keys:
                names += [key.value] if isinstance(key, ast.Constant) else stem_of(key) if isinstance(key, ast.JoinedStr) else []
    return names


def names_in_assignment(node):
    """counts = {"a": 0, ...}; count_name = f"deleted{scope.count_suffix}" (also in a tuple)."""
    if not isinstance(node, ast.Assign):
        return []
    if isinstance(node.value, ast.Dict) and any(getattr(target, "id", "") == "counts" for target in node.targets):
        return [key.value for key in node.value.keys if isinstance(key, ast.Constant)]
    targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
    names = []
    for target, value in zip(targets, values, strict=False):
        if getattr(target, "id", "") == "count_name" and isinstance(value, ast.JoinedStr):
            names += stem_of(value)
    return names


def count_names():
    """{name: "file:line"} of every literal count name in the apps' code."""
    found = {}
    for app in APPS:
        for path in (BASE_DIR / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                for name in names_in_call(node) + names_in_assignment(node):
                    found.setdefault(name, f"{path.relative_to(BASE_DIR)}:{getattr(node, 'lineno', 0)}")
    return found


def test_the_code_reports_counts_that_this_test_can_see():
    names = count_names()
    assert {"loaded", "matched", "changed", "deleted", "deleted_without_bank", "stage_changes", "queued"} <= set(names)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_count_a_job_reports_has_a_translated_label(language):
    missing = {name: where for name, where in count_names().items() if name not in jobs.COUNT_LABELS}
    assert not missing, f"count names without a label (ocrm.batch.jobs.register): {missing}"
    if language == "zh-hans":
        with translation.override("en"):
            english = {name: str(label) for name, label in jobs.COUNT_LABELS.items()}
        with translation.override(language):
            untranslated = sorted(name for name, label in jobs.COUNT_LABELS.items() if str(label) == english[name])
        assert not untranslated, f"labels without a Chinese translation: {untranslated}"
