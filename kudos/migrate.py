"""Running the Alembic migrations from the tool's own configuration (used by the CLI and the tests)."""

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from kudos.config import PROJECT_ROOT

MIGRATIONS = Path(PROJECT_ROOT) / "migrations"


def _alembic(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(_alembic(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(_alembic(url), revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from kudos.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
