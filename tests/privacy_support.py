"""Whole-database snapshots, and where a user name still stands in one, for the privacy tests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete

from kudos.db import Database
from kudos.models import Base

Snapshot = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


def snapshot(database: Database) -> Snapshot:
    """Every row of every table, by table and primary key, exactly as stored."""
    tables: Snapshot = {}
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            key = [column.name for column in table.primary_key.columns]
            tables[table.name] = {tuple(row._mapping[k] for k in key): tuple(row)
                                  for row in connection.execute(table.select())}
    return tables


def empty(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _cell_values(value: Any) -> list[Any]:
    """A cell, and what it holds: JSON values, a pending key's names."""
    if isinstance(value, dict | list):
        return _leaves(value)
    if isinstance(value, str) and value.startswith("{"):
        try:
            return [value, *_leaves(json.loads(value))]
        except ValueError:
            return [value]
    if isinstance(value, str) and value.count(":") == 2:
        return [value, *value.split(":")[1:]]
    return [value]


def naming(tables: Snapshot, name: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The rows in which a cell, or a value inside one, is exactly `name` (or "trusted:<name>")."""
    forms = {name, f"trusted:{name}"}
    return [(table, row) for table, rows in tables.items() for row in rows.values()
            if any(isinstance(value, str) and value in forms for cell in row for value in _cell_values(cell))]
