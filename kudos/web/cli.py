"""Maintenance commands: `flask --app app db upgrade`, `seed-demo`, `campaign create`, `organizer add` …

Flask's command line is part of the web adapter: each command reads its arguments and calls the core.
Each reports a problem as one sentence and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from kudos import campaigns, demo, migrate
from kudos.config import Config
from kudos.db import Database
from kudos.errors import KudosError
from kudos.models import CampaignKind, MemberRole
from kudos.names import canonical_username


def _config() -> Config:
    config: Config = current_app.extensions["kudos.config"]
    return config


def _db() -> Database:
    database: Database = current_app.extensions["kudos.db"]
    return database


def _sentences(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KudosError as error:
            raise click.ClickException(error.message) from None
    return wrapper


db_group = AppGroup("db", help="Database migrations.")
campaign_group = AppGroup("campaign", help="Create and list campaigns.")
organizer_group = AppGroup("organizer", help="Name campaign organizers.")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date."""
    migrate.upgrade(_config().database_url, revision)
    click.echo(f"Database is at revision {migrate.current(_config().database_url)}.")


@db_group.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
def db_downgrade(revision: str) -> None:
    """Step the schema back (default: one revision)."""
    migrate.downgrade(_config().database_url, revision)
    click.echo(f"Database is at revision {migrate.current(_config().database_url) or 'base (empty)'}.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds nominations.")
@_sentences
def seed_demo(if_empty: bool) -> None:
    """Fill the database with demo campaigns and nominations."""
    with _db().transaction() as session:
        if if_empty and not demo.is_empty(session):
            click.echo("Demo data is already there.")
            return
        for line in demo.seed(session, _config()):
            click.echo(f"seeded: {line}")


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” is not a date; write it as 2026-12-31.") from None


@campaign_group.command("create")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. odia-workshop-2026.")
@click.option("--name", required=True)
@click.option("--wiki", required=True, help="A wiki id from the configuration.")
@click.option("--kind", type=click.Choice([k.value for k in CampaignKind]), default="event", show_default=True)
@click.option("--starts")
@click.option("--ends")
@click.option("--channel", "channels", multiple=True, help="A social channel from the configuration.")
@click.option("--organizer", "organizers", multiple=True)
@click.option("--min-editcount", type=click.IntRange(min=0))
@click.option("--actor", default="Kudos maintainer", show_default=True, help="Recorded in the audit log.")
@_sentences
def campaign_create(slug: str, name: str, wiki: str, kind: str, starts: str | None, ends: str | None,
                    channels: tuple[str, ...], organizers: tuple[str, ...], min_editcount: int | None,
                    actor: str) -> None:
    """Create a campaign."""
    with _db().transaction() as session:
        campaign = campaigns.create(
            session, _config(), slug=slug, name=name, wiki=wiki, actor=actor, kind=CampaignKind(kind),
            starts=_date(starts), ends=_date(ends), channels=list(channels), organizers=list(organizers),
            min_editcount=min_editcount)
        click.echo(f"Created campaign {campaign.slug} on {campaign.wiki}.")


@campaign_group.command("sync")
@_sentences
def campaign_sync() -> None:
    """Create the community campaigns and the campaigns declared in the configuration."""
    with _db().transaction() as session:
        changes = [f"created {c.slug}" for c in campaigns.ensure_community_campaigns(session, _config())]
        changes += campaigns.sync_from_config(session, _config())
    click.echo("\n".join(changes) or "Nothing to change.")


def _change_organizer(slug: str, username: str, actor: str, add: bool) -> None:
    with _db().transaction() as session:
        campaign = campaigns.get(session, slug)
        change = campaigns.add_member if add else campaigns.remove_member
        changed = change(session, campaign, username, MemberRole.organizer, actor)
    said = {(True, True): "now organizes", (True, False): "already organizes",
            (False, True): "no longer organizes", (False, False): "did not organize"}[add, changed]
    click.echo(f"{canonical_username(username)} {said} {slug}.")


@organizer_group.command("add")
@click.argument("slug")
@click.argument("username")
@click.option("--actor", default="Kudos maintainer", show_default=True, help="Recorded in the audit log.")
@_sentences
def organizer_add(slug: str, username: str, actor: str) -> None:
    """Make USERNAME an organizer of the campaign SLUG."""
    _change_organizer(slug, username, actor, add=True)


@organizer_group.command("remove")
@click.argument("slug")
@click.argument("username")
@click.option("--actor", default="Kudos maintainer", show_default=True, help="Recorded in the audit log.")
@_sentences
def organizer_remove(slug: str, username: str, actor: str) -> None:
    """Make USERNAME no longer an organizer of the campaign SLUG."""
    _change_organizer(slug, username, actor, add=False)


@click.command("refresh-contribs")
@with_appcontext
@_sentences
def refresh_contribs() -> None:
    """Fetch new contribution counts of campaign participants and recipients (the job does this too)."""
    from kudos import contribs
    from kudos.clock import utcnow

    click.echo(f"Refreshed contributions: {contribs.refresh(_db(), _config(), utcnow())}.")


@click.command("refresh-suggestions")
@with_appcontext
@_sentences
def refresh_suggestions() -> None:
    """Find who meets each open campaign's bar for praise suggestions now (the job does this too)."""
    from kudos.suggestions import refresh

    click.echo(f"Refreshed suggestions: {refresh.refresh(_db(), _config())}.")


@click.command("prune")
@with_appcontext
@_sentences
def prune() -> None:
    """Skip social deliveries that waited too long for consent; delete audit rows past retention_days and
    expired sessions."""
    from kudos import maintenance

    with _db().transaction() as session:
        report = maintenance.prune(session, _config())
    click.echo("\n".join(report.lines()))


@click.command("check-config")
@with_appcontext
def check_config() -> None:
    """Check the configuration and reach every dependency (database, wikis, OAuth, social channels)."""
    from kudos import checks

    failed = 0
    for result in checks.run_checks(_config(), _db()):
        click.echo(result.line())
        failed += result.failed
    if failed:
        raise click.ClickException(f"{failed} check{'s' if failed > 1 else ''} failed.")


def register(app: Flask) -> None:
    for command in (db_group, campaign_group, organizer_group, seed_demo, prune, check_config, refresh_contribs,
                    refresh_suggestions):
        app.cli.add_command(command)
