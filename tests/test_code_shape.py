"""Rules of the code's shape that a reviewer would otherwise have to remember: no statement after
a return (ruff has no rule for unreachable code), views short enough to read at a glance, and
every write in a service, never in a view."""

from __future__ import annotations

import ast
import importlib
import inspect
from itertools import pairwise
from pathlib import Path

import pytest
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import get_resolver

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = sorted(
    path
    for package in ("whippy", "accounts", "sip", "bench")
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
)
TERMINAL = (ast.Return, ast.Raise, ast.Continue, ast.Break)
# Calls that write to the database; a view hands them to a service (sip/services.py,
# accounts/services.py), where the lock, the limits and the Activity record go with them.
WRITES = {
    "save",
    "delete",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "record",
}
MAX_VIEW_LINES = 40


def unreachable(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for first, second in pairwise(block):
                if isinstance(first, TERMINAL):
                    lines.append(second.lineno)
    return lines


def test_the_unreachable_check_finds_a_statement_after_a_return():
    code = "def f():\n    return 1\n    x = 2\n\nfor i in []:\n    continue\n    print(i)\n"
    assert unreachable(ast.parse(code)) == [3, 7]
    assert unreachable(ast.parse("def f(a):\n    if a:\n        return 1\n    return 2\n")) == []


@pytest.mark.parametrize("path", APP_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_unreachable_code(path):
    assert unreachable(ast.parse(path.read_text())) == []


def views(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                yield from views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = inspect.unwrap(pattern.callback)
            if view.__module__.startswith(("accounts.", "sip.")):
                yield view


VIEWS = sorted({view for view in views()}, key=lambda v: f"{v.__module__}.{v.__name__}")


def test_the_views_are_found():
    names = {view.__name__ for view in VIEWS}
    assert {"domain_create", "credential_rotate", "account_delete", "activity_list"} <= names
    assert len(VIEWS) >= 25


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_no_view_is_longer_than_it_takes_to_read_at_a_glance(view):
    lines, _start = inspect.getsourcelines(view)
    body = [line for line in lines if not line.lstrip().startswith("@")]
    assert len(body) <= MAX_VIEW_LINES


def calls(tree: ast.AST) -> set[str]:
    return {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }


def test_the_write_check_finds_a_write():
    assert "save" in calls(ast.parse("def v(request):\n    form.save()\n"))
    assert "record" in calls(ast.parse("def v(request):\n    record(request, x=1)\n"))


VIEW_MODULES = sorted({view.__module__ for view in VIEWS})


def test_the_view_modules_are_found():
    assert "accounts.views" in VIEW_MODULES and "sip.views.domains" in VIEW_MODULES


@pytest.mark.parametrize("module", VIEW_MODULES)
def test_no_view_module_writes_a_model_or_records_a_change(module):
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    assert calls(tree) & WRITES == set()
