"""Alembic environment: the database URL comes from the tool's configuration unless the caller gives one."""

from alembic import context

from kudos.db import make_engine
from kudos.models import Base

config = context.config
url = config.attributes.get("url")
if url is None:
    from kudos.config import load_config

    url = load_config().database_url


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets ALTER TABLE work on SQLite, which can change little in place.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
