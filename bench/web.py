"""Web benchmark: the wall, the review queue, the Atom feed, the campaign directory and an organizer's dashboard
at 1,000 and 100,000 nominations.

    python bench/web.py [--db sqlite|mariadb] [--sizes 1000,100000] [--seconds 4] [--workers 2] [--quick]

For each size it seeds a throwaway database with SQLAlchemy core bulk inserts, serves the tool with
gunicorn on a free loopback port, and drives `/healthz`, `/`, `/review` (as a signed-in organizer, with a
session stored as the tool stores sessions), `/feed.atom`, the largest campaign's wall, the campaign
directory (`/campaigns`, 30 open campaigns) and `/dashboard` of an organizer of all 30 campaigns (their
figures counted over every nomination and delivery) from a separate load-generator process:
first one request at a time (server time: p50/p95 latency), then with several concurrent clients
(throughput, compared with `/healthz` on the same server in the same run). It prints
`RESULT web p95_ms_100k=… ratio_100k_1k=… healthz_ratio=…`, the worst page for each figure, and then,
for feed readers' polls (`/feed.atom` with If-None-Match, answered 304, against `/healthz` in the same
rounds), `RESULT web_304 feed_304_ratio=…`.
A feed or API answer whose ETag this server gave before is served from memory (kudos.web.conditional), so
`/feed.atom`'s figures are those of its many readers between two changes; the first reader after a change
pays the rendering, which `/` and `/campaigns/campaign-1` measure for the same rows. Likewise the dashboard
keeps each campaign's figures until a row they are counted from changes (kudos.figures_version), so its
figures above are those of views between changes; its worst case, a view after every one of the 30
campaigns changed, is measured apart (one at a time, each request after a change that moves every
campaign's version) and printed as `RESULT web_dashboard_counted p50_ms_1k=… p50_ms_100k=… p95_ms_100k=…`.
Targets (DESIGN §6): p95 < 50 ms at 100k, 100k/1k ≤ 1.3, throughput ≥ 0.25 × /healthz; 304s ≥ 0.8 × /healthz.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The three pages the targets name, then a campaign's wall (the largest campaign: a third of the shout-outs),
# whose query takes another path through the indexes. (A person's page is left out: a person has a
# shout-out or none among 1,000 nominations and a page of them among 100,000, so the two sizes show
# different pages, not the same page over more rows.)
PAGES = ["/healthz", "/", "/review", "/feed.atom", "/campaigns/campaign-1", "/campaigns", "/dashboard"]
ORGANIZER = "Bench Organizer"  # organizes campaign 1, where every pending nomination is: the review queue
DIRECTOR = "Bench Director"  # organizes all 30 campaigns: the dashboard
SIGNED_IN = {"/review": ORGANIZER, "/dashboard": DIRECTOR}
CAMPAIGNS = 30
SOCIAL = "mastodon"  # the first third of the campaigns post there too
RECENT = 1000  # nominations of the last days, the same at every size (see seed)
HISTORY_GAP = timedelta(days=31)  # history is older than a week and than the consent window (30 days)
SECRET = "bench-secret-" + secrets.token_hex(16)
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"


# ---------------------------------------------------------------- seeding

def seed(url: str, size: int) -> None:
    """`size` nominations, one every 30 seconds: 10% pending in the organizer's campaign, 85% approved, 5%
    rejected. Of the approved barnstars 97% were posted, 2% skipped and 1% failed; the campaigns with a social
    channel have a post for each, done, skipped or waiting as the recipient's consent says (a month's worth
    waiting, older ones expired).

    Every size has the same recent past: the last RECENT nominations end a day ago, and any before them are
    more than a month older. What a larger size adds is history, which is what the 100k/1k target is about;
    the dashboard's figures of the last seven days, and the posts waiting for consent, then count the same
    rows at both sizes."""
    from sqlalchemy import insert

    from kudos import migrate
    from kudos.db import make_engine
    from kudos.models import Campaign, CampaignMember, Delivery, Nomination, Person

    migrate.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(size)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    start = now - timedelta(days=1, seconds=size * 30)
    with engine.begin() as connection:
        campaigns = [{"id": i, "slug": f"campaign-{i}", "name": f"Campaign {i}", "wiki": wiki, "kind": "event",
                      "description": "", "channels": [SOCIAL] if i <= CAMPAIGNS // 3 else [],
                      "created_at": start - HISTORY_GAP}
                     for i, wiki in enumerate(["orwiki", "enwiki"] * (CAMPAIGNS // 2), start=1)]
        connection.execute(insert(Campaign), campaigns)
        connection.execute(insert(CampaignMember), [
            {"campaign_id": 1, "username": ORGANIZER, "role": "organizer", "added_at": start},
            *({"campaign_id": i, "username": DIRECTOR, "role": "organizer", "added_at": start}
              for i in range(1, CAMPAIGNS + 1))])
        people = [{"id": i, "username": f"Editor {i}", "consent": ("granted", "unknown", "refused")[i % 3],
                   "opted_out": False, "created_at": start} for i in range(1, 5001)]
        connection.execute(insert(Person), people)
        nominations: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []

        def flush() -> None:
            if nominations:
                connection.execute(insert(Nomination), nominations)
            if deliveries:
                connection.execute(insert(Delivery), deliveries)
            nominations.clear()
            deliveries.clear()

        for i in range(1, size + 1):
            created = start + timedelta(seconds=i * 30) - (HISTORY_GAP if i <= size - RECENT else timedelta(0))
            kind = rng.random()
            status = "pending" if kind < 0.10 else "rejected" if kind < 0.15 else "approved"
            campaign = 1 if status == "pending" or rng.random() < 0.3 else rng.randint(2, CAMPAIGNS)
            person = rng.randint(1, 5000)
            nominator, recipient = f"Nominator {i}", f"Editor {person}"
            nominations.append({
                "id": i, "campaign_id": campaign, "wiki": campaigns[campaign - 1]["wiki"], "nominator": nominator,
                "recipient": recipient, "award": "barnstar", "message": f"Thank you for edit number {i}, a fine one.",
                "link": "Main Page", "status": status, "created_at": created,
                "reviewer": None if status == "pending" else ORGANIZER,
                "reviewed_at": None if status == "pending" else created + timedelta(hours=1),
                "reason": "Not this time." if status == "rejected" else None,
                "pending_key": f"{campaign}:{nominator}:{recipient}" if status == "pending" else None,
            })
            if status == "approved":
                done = created + timedelta(hours=2)
                outcome = rng.random()
                talk = "done" if outcome < 0.97 else "skipped" if outcome < 0.99 else "failed"
                statuses = {"talkpage": talk, "wall": "done" if talk == "done" else "skipped" if talk == "skipped"
                            else "pending"}
                if SOCIAL in campaigns[campaign - 1]["channels"]:
                    consent = people[person - 1]["consent"]
                    statuses[SOCIAL] = ("done" if consent == "granted" else "skipped" if consent == "refused"
                                        else "awaiting_consent" if now - created < timedelta(days=30) else "skipped")
                for channel, state in statuses.items():
                    deliveries.append({
                        "nomination_id": i, "campaign_id": campaign, "channel": channel, "status": state,
                        "attempts": 1, "next_attempt_at": done, "key": uuid.uuid4().hex, "created_at": done,
                        "updated_at": done, "done_at": done if state in ("done", "skipped") else None})
            if len(nominations) >= 5000:
                flush()
        flush()
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as connection:
            for table in ("nomination", "delivery", "person", "campaign"):
                connection.exec_driver_sql(f"ANALYZE TABLE {table}")
    engine.dispose()


# ---------------------------------------------------------------- serving

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_cookie(config_path: Path, username: str) -> str:
    """A signed-in organizer's session, stored in the database as the tool stores every session."""
    os.environ["KUDOS_CONFIG"] = str(config_path)
    from kudos.config import load_config
    from kudos.web import create_app

    config = load_config(config_path, environ={})
    app = create_app(config)
    client = app.test_client()
    # With the CSRF token a browser's session holds from its first page on: without it every request would
    # mint a new token and write the session again, which no real organizer's browser causes.
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 1000}
        session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - as Flask-WTF
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    app.extensions["kudos.db"].dispose()
    return f"{app.config['SESSION_COOKIE_NAME']}={cookie.value}"


def serve(config_path: Path, port: int, workers: int, access_log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUDOS_CONFIG": str(config_path)}
    # The access log records each request's time inside the worker (%(D)s, microseconds): the server time.
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--access-logfile", str(access_log), "--access-logformat", "%(U)s %(D)s",
         # gunicorn.conf.py (the production settings, kept) leaves /healthz out of the log; here it is measured.
         "--logger-class", "gunicorn.glogging.Logger",
         "app:app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/healthz", "")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


# ---------------------------------------------------------------- load generator (a separate process)

def fetch(port: int, path: str, cookie: str, etag: str = "") -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if etag:
            headers["If-None-Match"] = etag
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def client_main(port: int, path: str, cookie: str, mode: str, amount: float, threads: int, etag: str = "") -> None:
    """Run in its own process. `latency`: `amount` requests one at a time; `rps`: `threads` clients for
    `amount` seconds; with `etag`, conditional requests that must be answered 304. Prints one JSON line."""
    for _ in range(3):  # warm caches and connection pools
        status, _size = fetch(port, path, cookie, etag)
        if etag and status != 304:
            raise SystemExit(f"{path} with If-None-Match {etag} answered {status}, not 304")
    if mode == "latency":
        for _ in range(int(amount)):
            status, _size = fetch(port, path, cookie)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        print(json.dumps({"requests": int(amount)}))
        return
    done = [0] * threads
    stop = time.perf_counter() + amount

    def worker(n: int) -> None:
        while time.perf_counter() < stop:
            fetch(port, path, cookie, etag)
            done[n] += 1

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print(json.dumps({"requests": sum(done), "seconds": time.perf_counter() - began}))


@dataclass
class Server:
    size: int
    port: int
    cookies: dict[str, str]  # page → the session it is asked for with
    access_log: Path
    process: subprocess.Popen[bytes]
    url: str  # the database's

    def logged(self) -> int:
        return len(self.access_log.read_text().splitlines()) if self.access_log.exists() else 0

    def server_times(self, since: int, path: str) -> list[float]:
        time.sleep(0.3)  # let the workers flush their log lines
        lines = self.access_log.read_text().splitlines()[since:]
        # "<path> <microseconds>", the path as requested but unquoted (a username has spaces).
        wanted = urllib.parse.unquote(path)
        times = [int(line.rsplit(" ", 1)[1]) / 1000 for line in lines if line.rsplit(" ", 1)[0] == wanted]
        return times[3:]  # after the client's warm-up requests


def client(server: Server, path: str, mode: str, amount: float, threads: int = 1) -> dict[str, Any]:
    cookie = server.cookies.get(path, "")
    out = subprocess.run([sys.executable, __file__, "--client", str(server.port), path, cookie, mode, str(amount),
                          str(threads)], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(len(ordered) * fraction) - 1))]


# ---------------------------------------------------------------- the run

def database_for(kind: str, size: int, folder: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench-{size}.sqlite'}", lambda: None
    import pymysql

    name = f"kudos_bench_{secrets.token_hex(4)}"

    def admin(sql: str) -> None:
        connection = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
            connection.commit()
        finally:
            connection.close()

    admin(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    return MARIADB.format(name=name), lambda: admin(f"DROP DATABASE IF EXISTS {name}")


def start(size: int, args: argparse.Namespace, folder: Path) -> tuple[Server, Any]:
    url, drop = database_for(args.db, size, folder)
    began = time.perf_counter()
    seed(url, size)
    print(f"seeded {size:,} nominations into {args.db} in {time.perf_counter() - began:.1f} s", flush=True)
    config_path = folder / f"config-{size}.yaml"
    config_path.write_text(json.dumps({"environment": "development", "secret_key": SECRET, "database_url": url,
                                       "dev_login": False, "channels": {SOCIAL: {"type": "mastodon"}}}))
    cookies = {path: session_cookie(config_path, username) for path, username in SIGNED_IN.items()}
    port = free_port()
    access_log = folder / f"access-{size}.log"
    return Server(size, port, cookies, access_log, serve(config_path, port, args.workers, access_log), url), drop


def measure(servers: list[Server], args: argparse.Namespace) -> dict[tuple[int, str], dict[str, float]]:
    """Interleave the sizes, and each page with /healthz, in short rounds: other load on the machine then
    weighs on both sides of every ratio alike."""
    results: dict[tuple[int, str], dict[str, float]] = {}
    for path in args.pages:
        times: dict[int, list[float]] = {s.size: [] for s in servers}
        for _round in range(args.rounds):
            for server in servers:
                since = server.logged()
                client(server, path, "latency", args.sequential // args.rounds)
                times[server.size] += server.server_times(since, path)
        for server in servers:
            results[(server.size, path)] = {"p50": statistics.median(times[server.size]),
                                            "p95": percentile(times[server.size], 0.95)}
        if path == "/healthz":
            continue
        for server in servers[-1:]:  # throughput matters at the large size
            rates: dict[str, float] = {"/healthz": 0.0, path: 0.0}
            for _round in range(args.rounds):
                for target in ("/healthz", path):
                    run = client(server, target, "rps", args.seconds / args.rounds, args.threads)
                    rates[target] += run["requests"] / run["seconds"] / args.rounds
            results[(server.size, path)].update(rps=rates[path], healthz_rps=rates["/healthz"])
    return results


def measure_304(server: Server, args: argparse.Namespace, path: str = "/feed.atom") -> dict[str, float]:
    """Feed readers' polls: throughput of `path` answered 304 Not Modified (If-None-Match with its ETag),
    interleaved with /healthz in the same rounds."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    etag = response.getheader("ETag") or ""
    connection.close()
    rates = {"/healthz": 0.0, path: 0.0}
    for _round in range(args.rounds):
        for target in ("/healthz", path):
            out = subprocess.run([sys.executable, __file__, "--client", str(server.port), target, "", "rps",
                                  str(args.seconds / args.rounds), str(args.threads),
                                  *([etag] if target == path else [])],
                                 check=True, capture_output=True, text=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            rates[target] += run["requests"] / run["seconds"] / args.rounds
    return {"rps": rates[path], "healthz_rps": rates["/healthz"], "ratio": rates[path] / rates["/healthz"]}


def measure_counted(servers: list[Server], args: argparse.Namespace,
                    path: str = "/dashboard") -> dict[int, list[float]]:
    """Server times of `path` when every campaign's figures must be counted again: before each request the
    generation of the figures' versions moves, as a change that names no campaign moves it."""
    from kudos import figures_version
    from kudos.db import Database

    times: dict[int, list[float]] = {}
    for server in servers:
        database = Database(server.url)
        since = server.logged()
        for _ in range(3 + args.sequential // 2):  # the first three are left out, as in the other phases
            with database.transaction() as session:
                figures_version.bump(session, {figures_version.GENERATION})
            status, _size = fetch(server.port, path, server.cookies[path])
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        times[server.size] = server.server_times(since, path)
        database.engine.dispose()
    return times


def report_counted(times: dict[int, list[float]], small: int, large: int) -> None:
    p50 = {size: statistics.median(found) for size, found in times.items()}
    p95 = percentile(times[large], 0.95)
    print(f"\n/dashboard with every campaign's figures counted anew: p50 {p50[small]:.2f} ms at {small:,}, "
          f"{p50[large]:.2f} ms at {large:,} (p95 {p95:.2f} ms; {large // 1000}k/{small // 1000}k "
          f"{p50[large] / p50[small]:.2f})")
    print(f"RESULT web_dashboard_counted p50_ms_1k={p50[small]:.1f} p50_ms_100k={p50[large]:.1f} "
          f"p95_ms_100k={p95:.1f} ratio_100k_1k={p50[large] / p50[small]:.2f}")


def report_304(conditional: dict[str, float], size: int, path: str = "/feed.atom") -> None:
    print(f"\n{path} answered 304 (If-None-Match) at {size:,}: {conditional['rps']:.1f} req/s, /healthz "
          f"{conditional['healthz_rps']:.1f} req/s; feed_304_ratio {conditional['ratio']:.2f} (target >= 0.8: "
          f"{'met' if conditional['ratio'] >= 0.8 else 'NOT met'})")
    print(f"RESULT web_304 feed_304_ratio={conditional['ratio']:.2f} feed_304_rps={conditional['rps']:.0f} "
          f"healthz_rps={conditional['healthz_rps']:.0f}")


def report(results: dict[tuple[int, str], dict[str, float]], small: int, large: int, threads: int,
           pages: list[str]) -> None:
    print(f"\nserver time (gunicorn access log, one request at a time); throughput with {threads} clients")
    print(f"{'page':<11} {'size':>8} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>8} {'/healthz req/s':>15}")
    for path in pages:
        for size in (small, large):
            r = results[(size, path)]
            print(f"{path:<11} {size:>8,} {r['p50']:7.2f} {r['p95']:7.2f} {r.get('rps', 0):8.1f} "
                  f"{r.get('healthz_rps', 0):15.1f}")
    label = f"{large // 1000}k"
    print(f"\n{'page':<11} {'p95 ms ' + label:>12} {'p50 ' + label + '/' + str(small // 1000) + 'k':>12} "
          f"{'/healthz ratio':>15}")
    worst_p95 = worst_ratio = 0.0
    worst_health = float("inf")
    for path in (p for p in pages if p != "/healthz"):
        r = results[(large, path)]
        ratio = r["p50"] / results[(small, path)]["p50"]
        health = r["rps"] / r["healthz_rps"]
        worst_p95, worst_ratio = max(worst_p95, r["p95"]), max(worst_ratio, ratio)
        worst_health = min(worst_health, health)
        print(f"{path:<11} {r['p95']:12.1f} {ratio:12.2f} {health:15.2f}")
    verdict = "met" if worst_p95 < 50 and worst_ratio <= 1.3 and worst_health >= 0.25 else "NOT met"
    print(f"targets (p95 < 50 ms, 100k/1k <= 1.3, /healthz ratio >= 0.25): {verdict}")
    print(f"RESULT web p95_ms_100k={worst_p95:.1f} ratio_100k_1k={worst_ratio:.2f} healthz_ratio={worst_health:.2f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        port, path, cookie, mode, amount, threads = sys.argv[2:8]
        client_main(int(port), path, cookie, mode, float(amount), int(threads), *sys.argv[8:9])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "mariadb"), default="sqlite")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients in the throughput phase")
    parser.add_argument("--sequential", type=int, default=200, help="one-at-a-time requests per page and size")
    parser.add_argument("--seconds", type=float, default=6.0, help="throughput measuring time per page and size")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the measurements are split into")
    parser.add_argument("--pages", type=lambda text: text.split(","), default=PAGES[1:],
                        help="comma-separated, of " + ",".join(PAGES[1:]) + " (/healthz is always measured)")
    parser.add_argument("--quick", action="store_true",
                        help="every step at 1,000 and 5,000 nominations, briefly; the figures mean little")
    args = parser.parse_args()
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    args.pages = ["/healthz", *(p for p in PAGES[1:] if p in args.pages)]
    if args.quick:
        args.sizes, args.workers, args.threads = "1000,5000", 2, 2
        args.sequential, args.seconds, args.rounds = 8, 0.5, 1
    small, large = (int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="kudos-bench-") as tmp:
        servers: list[Server] = []
        drops = []
        try:
            for size in (small, large):
                url_drop: Any = None
                server, url_drop = start(size, args, Path(tmp))
                servers.append(server)
                drops.append(url_drop)
            results = measure(servers, args)
            counted = measure_counted(servers, args) if "/dashboard" in args.pages else None
            conditional = measure_304(servers[-1], args)
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait(timeout=30)
            for drop in drops:
                drop()
    report(results, small, large, args.threads, args.pages)
    if counted:
        report_counted(counted, small, large)
    report_304(conditional, large)


if __name__ == "__main__":
    main()
