"""An upgrade on Toolforge runs the new migrations first and restarts the code after (toolforge/README.md,
"Upgrading"): for those seconds the previous release's code works on the new schema. Checked with the
previous release's own `kudos/models.py`, read from git, against a database migrated to head: it writes a
row in every table it knows, reads them back through its mappers, updates and deletes them; the current
models read what it wrote. On SQLite and MariaDB.

The previous release is main as it was before the newest migration arrived: the first parent of the commit
that added the newest migration's file on the first-parent line of HEAD (the last commit, while the newest
migration is not committed yet). A migration that breaks the old code (a new NOT NULL column without a
default, a renamed or dropped column or table) fails here; the release note must then say to switch to
read-only mode first.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Column, Enum, Table, delete, func, select, update

from kudos import migrate
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.models import Base

ROOT = Path(PROJECT_ROOT)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def previous_release() -> str:
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    head = script.get_revision(script.get_current_head())
    assert head is not None
    newest = Path(head.path).resolve().relative_to(ROOT.resolve())
    added = _git("log", "--first-parent", "--diff-filter=A", "--format=%H", "HEAD", "--", str(newest)).split()
    return _git("rev-parse", f"{added[-1]}^1" if added else "HEAD")


@pytest.fixture(scope="module")
def old_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    commit = previous_release()
    path = tmp_path_factory.mktemp("previous-release") / "models.py"
    path.write_text(_git("show", f"{commit}:kudos/models.py"), encoding="utf-8")
    name = f"kudos_release_{commit[:10]}_models"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # SQLAlchemy resolves the mappers' annotations through the module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def _value(column: Column[Any], parents: dict[tuple[str, str], Any]) -> Any:
    """A value of the column's type: the parent row's key for a foreign key."""
    for key in column.foreign_keys:
        return parents.get((key.column.table.name, key.column.name))
    kind = column.type
    if isinstance(kind, Enum):
        return list(kind.enum_class)[0] if kind.enum_class else kind.enums[0]
    if isinstance(kind, JSON):
        return []
    python = kind.python_type
    samples: dict[type, Any] = {int: 1, str: "x", bool: False, datetime: datetime(2026, 1, 2, 3, 4, 5),
                                date: date(2026, 1, 2), float: 1.5, dict: {}, list: [], bytes: b"x"}
    return samples[python]


def _row(table: Table, parents: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """A value for every column the old code knows, but an autoincrement key."""
    return {column.name: _value(column, parents) for column in table.columns
            if not (column.primary_key and column.autoincrement is True and not column.foreign_keys)}


def test_the_previous_releases_models_work_on_the_migrated_schema(database: Database, old_models: ModuleType) -> None:
    metadata = old_models.Base.metadata
    assert migrate.current(database.url) == ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()
    parents: dict[tuple[str, str], Any] = {}
    with database.transaction() as session:  # the old code writes
        for table in metadata.sorted_tables:
            values = _row(table, parents)
            inserted = session.execute(table.insert().values(**values)).inserted_primary_key
            keys = dict(zip([c.name for c in table.primary_key.columns], inserted or (), strict=False))
            parents.update({(table.name, name): value for name, value in {**values, **keys}.items()})
    with database.session() as session:  # the old code reads, through its mappers
        for mapper in old_models.Base.registry.mappers:
            assert len(session.scalars(select(mapper.class_)).all()) == 1, mapper.class_.__name__
    with database.session() as session:  # the new code reads what the old code wrote
        for mapper in Base.registry.mappers:
            if mapper.local_table.name in metadata.tables:
                assert len(session.scalars(select(mapper.class_)).all()) == 1, mapper.class_.__name__
    # The old code changes and deletes: its statements alone, on a connection, without the new code's session
    # listeners (which would move the wall's version, kudos.wall_version, after its row was deleted).
    with database.engine.begin() as connection:
        for table in metadata.sorted_tables:
            plain = {c.name: _value(c, parents) for c in table.columns if not c.primary_key and not c.foreign_keys}
            if plain:
                connection.execute(update(table).values(**plain))
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
    with database.session() as session:
        for table in metadata.sorted_tables:
            assert session.scalar(select(func.count()).select_from(table)) == 0, table.name
