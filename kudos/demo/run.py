"""`make run`: the whole tool on one machine, offline, under one supervisor that one Ctrl-C stops.

It serves the demo's local MediaWikis (installing MediaWiki with apt-get first where it can), writes the
demo's configuration into the instance folder, migrates and seeds the database, then starts the web tool
and the delivery job (`python -m wikibot`, looping every two seconds). Everything it starts dies with it:
Ctrl-C (or SIGTERM) stops the job, the web tool and the wikis in that order, and a child that exits on
its own stops the rest. A second run reuses the wikis and the database in the instance folder.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
import yaml

from kudos.config import DEMO_WIKI_PORT, INSTANCE_DIR, PROJECT_ROOT
from kudos.demo import cast
from kudos.devwiki import LocalWiki, die_with_parent

INSTALL_MEDIAWIKI = PROJECT_ROOT / "scripts" / "install.d" / "20-mediawiki.sh"
JOB_INTERVAL = 2  # seconds: a barnstar lands within moments of its approval
STOP_TIMEOUT = 15


def mediawiki_missing_reason() -> str:
    """Why the local wikis cannot run here, after installing MediaWiki where possible; "" when they can."""
    if LocalWiki.available():
        return ""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return ("MediaWiki is not installed, and installing it needs apt-get as root "
                f"(run {INSTALL_MEDIAWIKI.relative_to(PROJECT_ROOT)} as root, then make run again)")
    print("Installing MediaWiki and PHP from Debian's packages with apt-get (once, about a minute)…", flush=True)
    done = subprocess.run(["bash", str(INSTALL_MEDIAWIKI)], capture_output=True, text=True, check=False)
    if done.returncode == 0 and LocalWiki.available():
        return ""
    last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return f"installing MediaWiki with apt-get failed ({last[0][:200]})"


def demo_config(instance: Path, port: int, wiki_port: int, bot: Any, offline: str) -> dict[str, Any]:
    """The configuration the web tool and the job read (written to <instance>/demo-config.yaml)."""
    secret_file = instance / "dev-secret-key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    config: dict[str, Any] = {
        "environment": "development",
        "database_url": f"sqlite:///{instance / 'kudos.sqlite'}",
        "secret_key": secret_file.read_text().strip(),
        "dev_login": True,
        "admins": [cast.ORGANIZER],
        "tool_url": f"http://127.0.0.1:{port}",
        "contact": "a local demo of Kudos",
        "wikis": cast.wikis_config(wiki_port),
        "channels": {cast.SOCIAL_CHANNEL: {"type": "mastodon", "base_url": "http://127.0.0.1:9",
                                           "access_token": "demo", "timeout": 2}},
        "delivery": {"interval": JOB_INTERVAL, "health_file": str(instance / "wikibot.health"),
                     "retry_base_seconds": 10},
    }
    if offline:
        config["wikis_offline"] = offline
    else:
        config["bot"] = {"username": bot.username, "password": bot.password, "throttle": 0,
                         "pywikibot_dir": str(instance / "pywikibot")}
    return config


class Supervisor:
    """Children in sessions of their own, so that the terminal's Ctrl-C reaches only this process, which then
    stops them in order; each also dies with this process, should it be killed outright."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.wikis: list[LocalWiki] = []
        self.stopping = threading.Event()

    def run_step(self, *args: str) -> None:
        subprocess.run([sys.executable, *args], env=self.env, cwd=PROJECT_ROOT, check=True,
                       stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)

    def start(self, name: str, *args: str) -> None:
        process = subprocess.Popen([sys.executable, *args], env=self.env, cwd=PROJECT_ROOT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
        self.children.append((name, process))

    def wait(self) -> int:
        """Until a signal or a child's exit; returns the exit status for the supervisor."""
        while not self.stopping.wait(0.5):
            for name, process in self.children:
                if process.poll() is not None:
                    print(f"The {name} stopped (exit status {process.returncode}); stopping the demo.", flush=True)
                    return 1
        return 0

    def stop(self) -> None:
        for name, process in reversed(self.children):  # the job first: it finishes the delivery in hand
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    print(f"The {name} did not stop within {STOP_TIMEOUT} s; killing it.", flush=True)
                    process.kill()
                    process.wait()
        for wiki in self.wikis:
            wiki.stop()


def wait_until_serving(url: str, supervisor: Supervisor, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not supervisor.stopping.is_set():
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if any(process.poll() is not None for _, process in supervisor.children):
            return  # wait() reports it
        time.sleep(0.2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kudos.demo", description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the demo: local wikis, web tool and delivery job")
    run.add_argument("--port", type=int, default=5000, help="the web tool's port (default 5000)")
    run.add_argument("--wiki-port", type=int, default=DEMO_WIKI_PORT,
                     help=f"the first local wiki's port; the others follow (default {DEMO_WIKI_PORT})")
    run.add_argument("--instance", type=Path, default=INSTANCE_DIR,
                     help="where the database, the wikis and the settings live (default instance/)")
    run.add_argument("--no-wiki", action="store_true", help="run without the local wikis, as where MediaWiki "
                                                            "cannot be installed")
    args = parser.parse_args(argv)
    instance: Path = args.instance.resolve()
    instance.mkdir(parents=True, exist_ok=True)
    offline = "the demo was started with --no-wiki" if args.no_wiki else mediawiki_missing_reason()
    supervisor = Supervisor({**os.environ, "KUDOS_CONFIG": str(instance / "demo-config.yaml"),
                             "FLASK_APP": "app", "PYTHONUNBUFFERED": "1"})

    def on_signal(signum: int, _frame: Any) -> None:
        supervisor.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    status = 0
    try:
        bot = None
        if not offline:
            from kudos.demo import wikis

            supervisor.wikis, bot = wikis.serve(instance / "wikis", args.wiki_port)
        config = demo_config(instance, args.port, args.wiki_port, bot, offline)
        (instance / "demo-config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
        supervisor.run_step("-m", "flask", "db", "upgrade")
        supervisor.run_step("-m", "flask", "seed-demo", "--if-empty")
        if supervisor.stopping.is_set():  # Ctrl-C while the wikis or the database were being set up
            return 0
        supervisor.start("web tool", "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(args.port),
                         "--no-reload", "--no-debugger")
        if not offline:
            supervisor.start("delivery job", "-m", "wikibot")
        base = f"http://127.0.0.1:{args.port}"
        wait_until_serving(f"{base}/healthz", supervisor)
        print(banner(base, args.wiki_port, offline), flush=True)
        status = supervisor.wait()
    except subprocess.CalledProcessError as error:
        print(f"The demo could not start: {' '.join(map(str, error.cmd[1:]))} failed.", flush=True)
        status = 1
    finally:
        supervisor.stop()
    print("The demo has stopped.", flush=True)
    return status


def banner(base: str, wiki_port: int, offline: str) -> str:
    lines = ["", f"Kudos demo: open {base}/login and sign in as “{cast.NOMINATOR}” to nominate someone "
                 f"(try “Sanjay”),", f"then as “{cast.ORGANIZER}” to approve it on the review page."]
    if offline:
        lines.append(f"Deliveries are not available: {offline}. Everything else works, with the demo's "
                     "people standing in for the wikis.")
    else:
        wikis = ", ".join(f"{spec['name']} {spec['api_url'].removesuffix('api.php')}index.php"
                          for spec in cast.wikis_config(wiki_port).values())
        lines.append(f"The barnstar lands within seconds on the local wikis: {wikis}.")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)
