"""The core never imports Flask (README, "How it fits together"): the job, the command line and the tests call
the same rules without a web framework. Checked on the import graph, read with `ast`, so an import inside a
function, or one reached through another core module, counts too.

Allowed to import Flask: the web adapter `kudos/web/` (app factory, blueprints, and the `flask` commands in
`kudos/web/cli.py`) and the local OAuth provider `kudos/devoauth/`, a development server that is a Flask app
of its own and that nothing in the core imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ("kudos.web", "kudos.devoauth")


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in ("kudos", "wikibot"):
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement of the module, wherever it stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, node.lineno))
            # `from kudos import campaigns` imports the module kudos.campaigns.
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names if f"{base}.{alias.name}" in known]
    return out


def _is_flask(module: str) -> bool:
    top = module.split(".")[0]
    return top in ("flask", "werkzeug") or top.startswith("flask_")


def _is_adapter(module: str) -> bool:
    return any(module == adapter or module.startswith(adapter + ".") for adapter in ADAPTERS)


def flask_paths(root: Path = ROOT) -> list[str]:
    """For each core or job module that reaches Flask: the chain of imports that gets there."""
    known = _modules(root)
    graph = {name: _imports(name, path, known) for name, path in known.items()}
    problems = []
    for start in sorted(name for name in known if not _is_adapter(name)):
        seen, todo = {start}, [(start, [start])]
        while todo:
            module, chain = todo.pop()
            for imported, line in graph.get(module, []):
                step = f"{imported} (line {line} of {known[module].relative_to(root)})"
                if _is_flask(imported) or _is_adapter(imported):
                    problems.append(" → ".join([*chain, step]))
                elif imported in known and imported not in seen:
                    seen.add(imported)
                    todo.append((imported, [*chain, step]))
    return problems


def test_the_core_and_the_job_never_import_flask() -> None:
    assert flask_paths() == []


def test_the_check_follows_imports_into_functions_and_through_relative_imports(tmp_path: Path) -> None:
    (tmp_path / "kudos" / "web").mkdir(parents=True)
    (tmp_path / "wikibot").mkdir()
    files = {
        "kudos/__init__.py": "",
        "kudos/rules.py": "from . import helpers\n",
        "kudos/helpers.py": "def now():\n    from flask import g\n    return g\n",
        "kudos/web/__init__.py": "import flask\n",
        "wikibot/__init__.py": "from kudos.web import something\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert sorted(flask_paths(tmp_path)) == [
        "kudos.helpers → flask (line 2 of kudos/helpers.py)",
        "kudos.rules → kudos.helpers (line 1 of kudos/rules.py) → flask (line 2 of kudos/helpers.py)",
        "wikibot → kudos.web (line 1 of wikibot/__init__.py)",
    ]
