"""The delivery job's log lines: one `key=value` line per event, for grep and Toolforge's log search."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from typing import Any

log = logging.getLogger("wikibot")


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def log_event(**fields: Any) -> None:
    """One key=value line per event, values quoted when they hold spaces, for grep and log search."""
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value).replace("\n", " ")
        if not text or any(c in text for c in ' "='):
            text = '"' + text.replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    log.info(" ".join(parts))


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:500]
