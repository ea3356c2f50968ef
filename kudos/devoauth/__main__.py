"""Run the development OAuth provider.

    python -m kudos.devoauth --port 5001 --consumer KEY:SECRET --callback URL --user Alice --user Bob:blocked

A --user is NAME[:OPTION...]; options are blocked, locked, editcount=N, groups=a+b+c, sub=N.
Then point Kudos at mw_uri http://127.0.0.1:PORT/w/index.php with the same consumer key and secret.
"""

from __future__ import annotations

import argparse
from typing import Any

from werkzeug.serving import run_simple

from .app import create_provider


def parse_user(spec: str) -> tuple[str, dict[str, Any]]:
    name, *options = spec.split(":")
    if not name:
        raise argparse.ArgumentTypeError(f"empty user name in {spec!r}")
    attributes: dict[str, Any] = {}
    for option in options:
        key, _, value = option.partition("=")
        if key in ("blocked", "locked") and not value:
            attributes[key] = True
        elif key in ("editcount", "sub") and value.isdigit():
            attributes[key] = int(value)
        elif key == "groups":
            attributes["groups"] = [group for group in value.split("+") if group]
        else:
            raise argparse.ArgumentTypeError(f"unknown user option {option!r} in {spec!r}")
    return name, attributes


def parse_consumer(spec: str) -> tuple[str, str]:
    key, separator, secret = spec.partition(":")
    if not separator or not key or not secret:
        raise argparse.ArgumentTypeError("--consumer takes KEY:SECRET")
    return key, secret


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m kudos.devoauth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--consumer", type=parse_consumer, required=True, help="KEY:SECRET")
    parser.add_argument("--callback", required=True, help="the consumer's registered callback URL")
    parser.add_argument(
        "--callback-is-prefix",
        action="store_true",
        help="accept any oauth_callback that starts with --callback, not only oob",
    )
    parser.add_argument("--user", type=parse_user, action="append", default=[], help="NAME[:OPTION...]")
    parser.add_argument("--issuer", default=None, help="JWT iss (default: the scheme and host called)")
    args = parser.parse_args(argv)

    key, secret = args.consumer
    app = create_provider({key: secret}, dict(args.user), issuer=args.issuer, callbacks={key: args.callback})
    app.extensions["devoauth"].consumers[key].callback_is_prefix = args.callback_is_prefix
    print(f"mw_uri: http://{args.host}:{args.port}/w/index.php  consumer: {key}  callback: {args.callback}")
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
