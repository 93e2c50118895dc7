"""The house rules that a linter does not check (ruff and import-linter do the rest, see pyproject.toml):
modules stay small, pages stay thin and go through the app, tests mirror the engine's modules."""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
MODULES = sorted([*PROJECT.glob("mnist_app/**/*.py"), *PROJECT.glob("ui/*.py"), *PROJECT.glob("pages/*.py"), PROJECT / "app.py"])
PAGES = sorted(PROJECT.glob("pages/*.py"))
MAX_LINES = 300  # as the Keras examples keep to a cap: a module read top to bottom in one sitting
# What a page may import: Streamlit, the shared widgets and the engine; functools and math of the standard library.
PAGE_IMPORTS = ("streamlit", "ui", "mnist_app", "functools", "math")


def name(path: Path) -> str:
    return str(path.relative_to(PROJECT))


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_every_module_stays_under_the_cap(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", PAGES, ids=name)
def test_a_page_imports_only_streamlit_the_widgets_and_the_engine(path):
    tree = ast.parse(path.read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert all(module.split(".")[0] in PAGE_IMPORTS for module in imported), imported


@pytest.mark.parametrize("path", PAGES, ids=name)
def test_a_page_goes_through_the_app_before_it_draws_anything(path):
    body = [node for node in ast.parse(path.read_text()).body
            if not isinstance(node, (ast.Import, ast.ImportFrom)) and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    first = body[0]
    assert isinstance(first, ast.Expr) and ast.unparse(first) == "through_app()", ast.unparse(first)


def test_every_engine_module_has_a_test_module_of_its_own():
    """test_<module>.py, or test_<package>.py for the modules of a package tested together (cli/)."""
    tested = {path.stem.removeprefix("test_") for path in (PROJECT / "tests").glob("test_*.py")}
    modules = [path for path in PROJECT.glob("mnist_app/**/*.py") if not path.name.startswith("__")]
    untested = sorted(name(path) for path in modules if path.stem not in tested and path.parent.name not in tested)
    assert untested == [], untested


@pytest.mark.parametrize("path", sorted((PROJECT / "tests" / "e2e").glob("*.py")), ids=name)
def test_browser_tests_take_boxes_only_once_the_element_is_there(path):
    """Playwright's bounding_box() answers None for an element not drawn yet (a canvas whose component is
    still loading on a busy machine failed a browser test so): boxes come from browser.box_of, which waits."""
    calls = [node for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "bounding_box"]
    inside_box_of = path.name == "browser.py" and len(calls) == 1
    assert not calls or inside_box_of, [ast.unparse(call) for call in calls]
