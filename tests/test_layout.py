"""The layout README.md describes: imports go downwards only."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _modules(under: Path):
    for path in sorted(under.rglob("*.py")):
        yield path.relative_to(APP.parent).with_suffix("").as_posix().replace("/", "."), path


def test_nothing_below_the_web_imports_it():
    upward = [
        (module, name)
        for module, path in _modules(APP)
        # the two entry points, the app and the `lineage` command (whose draw-graphs draws the
        # graphs with the web's URLs in them), stand above the web
        if not module.startswith(("app.web", "app.main", "app.cli"))
        for name in _imports(path)
        if name == "app.web" or name.startswith("app.web.")
    ]
    assert upward == []


def test_the_pure_core_imports_nothing_of_the_app_but_itself():
    # app.budget: the deadline long work is handed (it imports nothing of the app either)
    pure = ("app.citations", "app.symbols", "app.calendar", "app.budget")
    found = [
        (module, name)
        for module, path in _modules(APP)
        if module.startswith(pure)
        for name in _imports(path)
        if name.startswith("app.") and not name.startswith(pure)
    ]
    assert found == []


def test_accounts_know_nothing_of_the_web():
    found = [name for _, path in _modules(APP / "accounts") for name in _imports(path)
             if name.startswith(("app.web", "fastapi", "starlette"))]
    assert found == []
