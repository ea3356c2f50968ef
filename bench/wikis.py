"""Benchmark: the delivery job serving several wikis at once, each at its own edit rate.

    python bench/wikis.py [--quick]

Starts K local MediaWikis (`php -S` each, Debian's MediaWiki), each behind a proxy that notes when every
edit arrives, and runs the delivery job as on Toolforge (`python -m wikibot`, continuous) with a per-wiki
throttle T and a polling interval P. After one barnstar per wiki (the job's logins, paid once per process):
- aggregate: N barnstars approved on every wiki at once; edits per second while they are posted, against
  the ideal K/T of K wikis each at its own rate (`aggregate_ratio`, target ≥ 0.8);
- lone latency: a burst of B barnstars on the first wiki, then one barnstar on the second: the time from
  its approval to its edit arriving at the wiki (`lone_latency_s`, target ≤ T + P + 1 s);
- approve to edit: single barnstars approved one by one at random moments on the other wikis while the
  burst goes on; median and worst time from approval to the edit (`approve_to_edit_p50_s`, `…_max_s`).
Ends with `RESULT wikis lanes=K aggregate_ratio=… lone_latency_s=… approve_to_edit_p50_s=… approve_to_edit_max_s=…`.
`--quick` runs the same code paths with small sizes and shorter throttles, in seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kudos import migrate  # noqa: E402
from kudos.db import Database  # noqa: E402
from tests.servers.mediawiki import LocalWiki  # noqa: E402
from tests.servers.wiki_faults import FaultProxy  # noqa: E402
from tests.servers.wikis import shared_bot, start_wikis  # noqa: E402
from tests.wiki_people import create_accounts  # noqa: E402
from tests.wikibot_support import approve_many, load, unique_name, write_config  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    wikis: int  # K
    throttle: float  # T, seconds between edits on each wiki
    interval: float  # P, how often the job looks for due deliveries
    per_wiki: int  # N, the aggregate phase's barnstars per wiki
    burst: int  # B, the first wiki's burst
    singles: int  # approvals timed one by one


# T stays above what an edit takes a local MediaWiki on a busy two-core machine (a few tenths of a second), as
# real throttles (10 s) are far above a Wikimedia wiki's; below it the wiki, not the job, sets the pace.
FULL = Sizes(wikis=4, throttle=1.0, interval=0.5, per_wiki=30, burst=200, singles=24)
QUICK = Sizes(wikis=3, throttle=1.0, interval=0.5, per_wiki=5, burst=40, singles=6)


class Bench:
    def __init__(self, folder: Path, sizes: Sizes) -> None:
        self.sizes = sizes
        self.wikis: list[LocalWiki] = start_wikis(folder / "wikis", sizes.wikis)
        self.proxies = [FaultProxy(wiki.base_url) for wiki in self.wikis]
        self.ids = [f"wiki{n}" for n in range(sizes.wikis)]
        bot = shared_bot(self.wikis, "BenchBot")
        url = f"sqlite:///{folder / 'kudos.sqlite'}"
        migrate.upgrade(url)
        self.db = Database(url)
        settings = {
            "environment": "development", "secret_key": "bench-secret-key-0123456789", "database_url": url,
            "tool_url": "https://kudos.example.org", "contact": "bench@example.org",
            "ratelimit": {"nominations_per_day": 1_000_000},  # one nominator makes every burst's nominations
            "wikis": {wiki_id: {"api_url": proxy.api_url, "language": "en", "name": wiki_id}
                      for wiki_id, proxy in zip(self.ids, self.proxies, strict=True)},
            "bot": {"username": bot.login, "password": bot.password, "throttle": sizes.throttle,
                    "pywikibot_dir": str(folder / "pywikibot")},
            "delivery": {"health_file": str(folder / "wikibot.health"), "interval": sizes.interval},
        }
        self.config_path = write_config(folder, settings)
        self.config = load(self.config_path)
        self.job: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.job is not None and self.job.poll() is None:
            self.job.send_signal(signal.SIGTERM)
            self.job.wait(timeout=60)
        for proxy in self.proxies:
            proxy.stop()
        for wiki in self.wikis:
            wiki.stop()

    def start_job(self) -> None:
        self.job = subprocess.Popen([sys.executable, "-m", "wikibot"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL,
                                    env={**os.environ, "KUDOS_CONFIG": str(self.config_path)})

    def recipients(self, wiki: int, count: int) -> list[str]:
        names = [unique_name("Bench") for _ in range(count)]
        create_accounts(self.wikis[wiki], names)
        return names

    def approve(self, wiki: int, recipients: list[str]) -> float:
        approve_many(self.db, self.config, recipients, wiki=self.ids[wiki])
        return time.monotonic()

    def edits(self, wiki: int) -> list[tuple[float, str]]:
        """(arrival, page title) of every edit that reached the wiki so far."""
        return sorted((r.at, r.params.get("title", "")) for r, _ in list(self.proxies[wiki].seen)
                      if r.method == "POST" and r.action == "edit")

    def wait_for(self, wiki: int, titles: set[str], timeout: float = 300) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            arrived = {title: at for at, title in self.edits(wiki) if title in titles}
            if len(arrived) == len(titles):
                return arrived
            assert self.job is not None and self.job.poll() is None, "the delivery job stopped"
            assert time.monotonic() < deadline, f"{len(titles) - len(arrived)} edits did not arrive"
            time.sleep(0.01)


def measure(bench: Bench) -> dict[str, float]:
    sizes = bench.sizes
    k = sizes.wikis
    chance = random.Random(1)
    bench.start_job()
    warm = [bench.recipients(w, 1) for w in range(k)]
    for wiki, names in enumerate(warm):
        bench.approve(wiki, names)
    for wiki, names in enumerate(warm):
        bench.wait_for(wiki, {f"User talk:{n}" for n in names}, timeout=120)

    # Aggregate: every wiki at once. Several barnstars to one page are several edits to it.
    pages = [bench.recipients(w, 5) for w in range(k)]
    for wiki in range(k):
        bench.approve(wiki, [pages[wiki][i % 5] for i in range(sizes.per_wiki)])
    firsts, lasts = [], []
    for wiki in range(k):
        expected = len(warm[wiki]) + sizes.per_wiki
        deadline = time.monotonic() + 600
        while len(bench.edits(wiki)) < expected:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        times = [at for at, _ in bench.edits(wiki)][len(warm[wiki]):]
        firsts.append(times[0])
        lasts.append(times[-1])
    rate = (k * (sizes.per_wiki - 1)) / (max(lasts) - min(firsts))
    aggregate_ratio = rate / (k / sizes.throttle)
    print(f"aggregate: {k} wikis x {sizes.per_wiki} barnstars, throttle {sizes.throttle} s: {rate:.2f} edits/s "
          f"against {k / sizes.throttle:.2f} (ratio {aggregate_ratio:.2f}); serial would be {1 / sizes.throttle:.2f}")

    # A burst on the first wiki, then a lone barnstar on the second.
    burst_pages = bench.recipients(0, 10)
    before = len(bench.edits(0))
    bench.approve(0, [burst_pages[i % 10] for i in range(sizes.burst)])
    while len(bench.edits(0)) < before + 3:
        time.sleep(0.01)
    (lone,) = bench.recipients(1, 1)
    approved = bench.approve(1, [lone])
    lone_latency = bench.wait_for(1, {f"User talk:{lone}"})[f"User talk:{lone}"] - approved
    print(f"lone barnstar on wiki1 during a burst of {sizes.burst} on wiki0: {lone_latency:.2f} s "
          f"(target <= T + P + 1 = {sizes.throttle + sizes.interval + 1:.2f} s)")

    # Single approvals at random moments, on the other wikis, while the burst goes on.
    latencies = []
    targets = [chance.randrange(1, k) for _ in range(sizes.singles)]
    names = {wiki: bench.recipients(wiki, targets.count(wiki)) for wiki in set(targets)}
    for wiki in targets:
        name = names[wiki].pop()
        time.sleep(chance.uniform(0, sizes.throttle))
        approved = bench.approve(wiki, [name])
        latencies.append(bench.wait_for(wiki, {f"User talk:{name}"})[f"User talk:{name}"] - approved)
    p50, worst = statistics.median(latencies), max(latencies)
    burst_left = sizes.burst - (len(bench.edits(0)) - before)
    print(f"approve to edit, {len(latencies)} single barnstars: median {p50:.2f} s, worst {worst:.2f} s "
          f"(the burst on wiki0 still had {burst_left} to go)")
    return {"lanes": k, "aggregate_ratio": aggregate_ratio, "lone_latency_s": lone_latency,
            "approve_to_edit_p50_s": p50, "approve_to_edit_max_s": worst}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, same code paths (for CI)")
    args = parser.parse_args()
    if not LocalWiki.available():
        print("MediaWiki and PHP are needed: run scripts/install.d/20-mediawiki.sh", file=sys.stderr)
        return 1
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="kudos-bench-wikis-") as tmp:
        began = time.monotonic()
        bench = Bench(Path(tmp), sizes)
        print(f"{sizes.wikis} wikis installed and started in {time.monotonic() - began:.1f} s")
        try:
            figures = measure(bench)
        finally:
            bench.stop()
    print("RESULT wikis " + " ".join(f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}"
                                     for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
