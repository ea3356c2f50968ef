"""`python -m wikibot [--once]`: deliver what is due, once or in a loop.

--once delivers everything due and prints `done=… skipped=… retrying=… failed=…`. Without it the job
runs until SIGTERM, which lets the current delivery finish: it looks for due deliveries every
`delivery.interval` seconds and posts each wiki's talk-page deliveries at that wiki's own rate.

While Kudos is read-only (`read_only_reason`), the job delivers nothing: it stays up, keeps its health
file fresh and logs the reason, until it is restarted without it (with --once it logs and exits 0).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kudos.config import Config


def _stop_before_starting(signum: int, _frame: object) -> None:
    # Until the runner takes over SIGTERM, nothing has been claimed or posted: a stop asked for while the
    # job is still starting (Toolforge moving it, a replica scaled down) is a clean exit, not a kill.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_before_starting)
    # Imported once the early stop is in place: loading them takes a moment on a busy machine.
    from kudos.config import load_config_or_exit
    from kudos.errors import ConfigError

    parser = argparse.ArgumentParser(prog="python -m wikibot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="deliver everything due, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    config = load_config_or_exit()
    if config.read_only_reason:
        return _read_only(config, args.once)
    try:
        # pywikibot reads its settings at import: they must be written before anything imports it.
        from wikibot.pwbconfig import prepare

        prepare(config)
    except ConfigError as error:
        print(f"The delivery job cannot start: {error}", file=sys.stderr)
        return 2

    from kudos.db import Database
    from wikibot.runner import Runner, log_event, summary_line

    database = Database(config.database_url)
    database.ping()
    runner = Runner(config, database)
    runner.install_signal_handlers()
    log_event(event="start", worker=runner.worker_id, once=args.once)
    counts = runner.run_once() if args.once else runner.run_forever()
    line = summary_line(counts)
    log_event(event="stop", worker=runner.worker_id, summary=line)
    print(line, flush=True)
    return 0


def _read_only(config: Config, once: bool) -> int:
    # Neither the database nor pywikibot is touched: read-only mode is for when they may be away.
    from kudos.db import Database
    from wikibot.runner import Runner, summary_line

    runner = Runner(config, Database(config.database_url))
    runner.install_signal_handlers()
    counts = runner.run_read_only(config.read_only_reason, once)
    print(summary_line(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
