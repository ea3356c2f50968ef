"""gunicorn settings for the web tool (`web:` in the Procfile).

Toolforge's Build Service passes the port to listen on in $PORT and routes traffic from its proxy. No
X-Forwarded-* header is trusted (gunicorn's default): in production every absolute URL comes from
`tool_url` (kudos.web.transport), so nothing depends on what a proxy, or a client, claims. The health
check asks for /healthz every few seconds; those requests are left out of the access log so it stays
readable.

The configuration is validated here, in the master process, before any worker is forked: a refused one
stops gunicorn within a second with its sentence as the last line, instead of workers failing and being
restarted forever.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"  # threads: the tool mostly waits on the database and the wiki's API
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30  # a restart lets running requests finish before the worker stops
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# No client addresses: Toolforge's privacy policy, and behind its proxy they would be the proxy's anyway.
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# gunicorn's control socket lives in $HOME, which the Build Service container does not need to write.
control_socket_disable = True
QUIET_PATHS = frozenset({"/healthz"})


def on_starting(server: Any) -> None:
    from kudos.config import load_config_or_exit

    load_config_or_exit()


class QuietHealthLogger(Logger):
    """The standard logger, minus access-log lines for the health check."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("PATH_INFO") in QUIET_PATHS and str(getattr(resp, "status", "")).startswith("2"):
            return
        super().access(resp, req, environ, request_time)


logger_class = QuietHealthLogger
