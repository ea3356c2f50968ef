"""The Toolforge deployment files, checked as the platform would use them.

The Procfile's commands run from a virtualenv holding only requirements.txt (cached in the test cache,
keyed by the requirements' hash), against a throwaway MariaDB database: `migrate`, then `web` (gunicorn)
serving /healthz, then `delivery --once` and `prune`. The webservice template and jobs.yaml are parsed
and every job's command is resolved to code that exists.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from kudos.web import create_app
from tests.stub_http import free_port
from tests.support import TEST_CACHE, make_config, need

ROOT = Path(__file__).resolve().parent.parent
TOOLFORGE = ROOT / "toolforge"
SECRET_KEY = secrets.token_hex(32)  # made per run: production refuses any key that is written in the repository


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def jobs() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((TOOLFORGE / "jobs.yaml").read_text())
    assert isinstance(loaded, list)
    return loaded


# --- files ---

def test_python_version_is_pinned() -> None:
    assert (ROOT / ".python-version").read_text().strip() == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_procfile_has_the_processes_toolforge_runs() -> None:
    entries = procfile()
    assert {"web", "delivery", "migrate", "prune"} <= set(entries)
    web = shlex.split(entries["web"])
    assert web[0] == "gunicorn" and "app:app" in web
    # Absolute URLs come from tool_url, so no client's X-Forwarded-* header needs to be trusted.
    assert not any(word.startswith("--forwarded-allow-ips") for word in web)


def test_service_template() -> None:
    template = yaml.safe_load((TOOLFORGE / "service.template").read_text())
    assert template["type"] == "buildservice"
    app = create_app(make_config())
    assert template["health-check-path"] in {rule.rule for rule in app.url_map.iter_rules()}


def _resolve(command: str) -> list[str]:
    """A job command as Toolforge runs it: a Procfile entry name expands to that entry's command."""
    words = shlex.split(command)
    entries = procfile()
    if words[0] == "launcher":
        words = words[1:]
    if words[0] in entries:
        words = shlex.split(entries[words[0]]) + words[1:]
    return words


def _assert_command_exists(words: list[str]) -> None:
    if words[:2] == ["python", "-m"]:
        module = ROOT / words[2].replace(".", "/")
        assert (module / "__main__.py").exists() or module.with_suffix(".py").exists(), words
    elif words[0] == "flask":
        assert words[1:3] == ["--app", "app"], words
        group: Any = create_app(make_config()).cli
        for name in words[3:]:
            if name.startswith("-"):
                break
            group = group.commands.get(name) if hasattr(group, "commands") else None
            assert group is not None, f"flask command {' '.join(words[3:])} is not registered"
    elif words[0] == "gunicorn":
        assert (ROOT / "app.py").exists() and (ROOT / "gunicorn.conf.py").exists()
    else:
        pytest.fail(f"unknown command {words}")


def test_every_job_command_exists() -> None:
    loaded = jobs()
    names = [job["name"] for job in loaded]
    assert len(names) == len(set(names)) and {"delivery", "prune", "migrate"} <= set(names)
    for job in loaded:
        assert job["image"].startswith("tool-") and job["image"].endswith(":latest"), job
        assert job["emails"] == "onfailure", job  # the guide: a failing job mails the maintainers
        _assert_command_exists(_resolve(job["command"]))
    delivery = next(j for j in loaded if j["name"] == "delivery")
    assert delivery["continuous"] is True
    script = ROOT / delivery["health-check-script"]
    assert script.exists() and os.access(script, os.X_OK)
    prune = next(j for j in loaded if j["name"] == "prune")
    assert prune["schedule"]


def test_procfile_commands_exist() -> None:
    for command in procfile().values():
        _assert_command_exists(shlex.split(command))


def test_health_check_script_follows_the_heartbeat(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    script = str(TOOLFORGE / "health-check.sh")

    def check() -> int:
        env = {**os.environ, "KUDOS_HEALTH_FILE": str(heartbeat), "KUDOS_HEALTH_MAX_AGE": "60"}
        return subprocess.run([script], env=env, capture_output=True, timeout=10).returncode

    assert check() == 1  # no heartbeat yet
    heartbeat.touch()
    assert check() == 0
    old = time.time() - 120
    os.utime(heartbeat, (old, old))
    assert check() == 1


# --- the Procfile's commands from a clean runtime virtualenv ---

@pytest.fixture(scope="session")
def runtime_venv() -> Path:
    """A virtualenv with requirements.txt only; rebuilt when the requirements or Python change."""
    requirements = (ROOT / "requirements.txt").read_bytes()
    key = hashlib.sha256(requirements + sys.version.encode()).hexdigest()[:12]
    venv = TEST_CACHE / f"runtime-venv-{key}"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(ROOT / "requirements.txt")],
                                 capture_output=True, text=True, timeout=1200)
        need(install.returncode == 0, f"installing requirements.txt into a clean virtualenv ({install.stderr[-500:]})")
        (venv / ".installed").touch()
    return venv


def _environment(venv: Path, database_url: str, port: int | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TOOL_", "PYTHON", "VIRTUAL_ENV", "KUDOS_", "FLASK_"))}
    env.update({
        "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
        "KUDOS_CONFIG": "/dev/null",  # only the environment, as on Toolforge
        "TOOL_ENVIRONMENT": "production",
        "TOOL_SECRET_KEY": SECRET_KEY,
        "TOOL_DATABASE_URL": database_url,
        "TOOL_WIKIS": '{orwiki: {api_url: "https://or.wikipedia.org/w/api.php", language: or, name: Odia}}',
        "TOOL_ADMINS": "[Ada]",
        # The delivery job wants bot credentials configured even when nothing is due (it never logs in then).
        "TOOL_BOT__USERNAME": "KudosBot@kudos",
        "TOOL_BOT__PASSWORD": "not-a-real-bot-password",
        "GUNICORN_WORKERS": "2",
    })
    if port is not None:
        env["PORT"] = str(port)
    return env


def _run(entry: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    command = procfile()[entry] + "".join(f" {shlex.quote(arg)}" for arg in extra)
    # The Build Service runs Procfile entries through a shell, so quoting in the Procfile must work there.
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def deployed_database(mariadb_url: str, runtime_venv: Path) -> str:
    result = _run("migrate", _environment(runtime_venv, mariadb_url))
    assert result.returncode == 0, result.stderr[-2000:]
    return mariadb_url


@pytest.fixture
def gunicorn(runtime_venv: Path, deployed_database: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["bash", "-c", f"exec {procfile()['web']}"], cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, env=_environment(runtime_venv, deployed_database, port))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or workers still importing the app
                time.sleep(0.2)
        yield base, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_web_command_serves_healthz_from_runtime_requirements(gunicorn: tuple[str, Path]) -> None:
    base, log = gunicorn
    health = requests.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200 and health.text == "ok\n"
    wall = requests.get(f"{base}/?from=deployment-test", timeout=10,
                        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"})
    assert wall.status_code == 200
    time.sleep(0.5)
    lines = log.read_text().splitlines()
    assert any('"GET /?from=deployment-test HTTP/1.1" 200' in line for line in lines), lines
    assert not any("198.51.100.7" in line or "127.0.0.1 " in line for line in lines), "no client addresses"
    assert not any("/healthz" in line for line in lines), "health checks must stay out of the access log"


def test_web_command_names_only_the_tool_url_and_asks_for_https(gunicorn: tuple[str, Path]) -> None:
    base, _log = gunicorn
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    feed = requests.get(f"{base}/feed.atom", headers=hostile, timeout=10)
    assert feed.status_code == 200
    assert "evil.example" not in feed.text and 'href="https://kudos.toolforge.org/feed.atom"' in feed.text
    api = requests.get(f"{base}/api/v1/shoutouts", headers=hostile, timeout=10)
    assert "evil.example" not in api.text
    assert feed.headers["Strict-Transport-Security"].startswith("max-age=")


def test_delivery_once_and_prune_run_against_the_database(runtime_venv: Path, deployed_database: str) -> None:
    env = _environment(runtime_venv, deployed_database)
    delivery = _run("delivery", env, "--once")
    assert delivery.returncode == 0, delivery.stderr[-2000:]
    prune = _run("prune", env)
    assert prune.returncode == 0, prune.stderr[-2000:]
    assert "audit rows" in prune.stdout


# --- a refused configuration stops the process at once ---

REFUSED = "Kudos cannot start: The configuration key “secret_key”"


def _stops_at_once(entry: str, env: dict[str, str], *extra: str) -> tuple[int, float, str]:
    """Run a Procfile entry as the platform does; return its exit code, its run time and its last line."""
    command = procfile()[entry] + "".join(f" {shlex.quote(arg)}" for arg in extra)
    started = time.monotonic()
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{entry} still running after 30 s with a refused configuration:\n{output[-2000:]}")
    lines = [line for line in output.splitlines() if line.strip()]
    return process.returncode, time.monotonic() - started, lines[-1] if lines else ""


@pytest.mark.parametrize("entry", ["web", "delivery"])
def test_a_refused_configuration_stops_the_process_within_seconds(runtime_venv: Path, tmp_path: Path,
                                                                  entry: str) -> None:
    env = _environment(runtime_venv, f"sqlite:///{tmp_path / 'kudos.sqlite'}", free_port())
    env["TOOL_SECRET_KEY"] = "change-me-to-a-long-random-string"
    code, seconds, last = _stops_at_once(entry, env)
    assert code != 0
    assert seconds < 15, f"{entry} took {seconds:.1f} s to stop"
    assert last.startswith(REFUSED) and "openssl rand -hex 32" in last, last
