"""Wiki outages never end the delivery job: every fault at every request of a pass, and a small chaos run.

The job runs as it does on Toolforge, continuously (`python -m wikibot`), and must stay up through all of
it; what it delivers is counted on the real wikis' pages, never through the proxy.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update

from kudos import barnstar
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus
from tests.farm_support import FarmJob, edit_times
from tests.servers.mediawiki import BotCredentials, LocalWiki
from tests.servers.wiki_faults import FaultProxy, ProxiedRequest
from tests.servers.wikis import Farm
from tests.wiki_people import create_accounts
from tests.wikibot_support import Job, deliveries, job_settings, page_text, unique_name

pytestmark = pytest.mark.mediawiki

FAULTS = ("drop", "reset", "503", "maxlag", "readonly", "badjson")  # timeout, refused, 5xx, …, not JSON


def _query(request: ProxiedRequest) -> bool:
    return request.action == "query"


# Each request the job makes in a pass, told apart by its parameters.
REQUEST_KINDS: dict[str, Callable[[ProxiedRequest], bool]] = {
    "login": lambda r: r.method == "POST" and r.action == "login",
    "survey": lambda r: _query(r) and "titles" in r.params and "ususers" in r.params,
    "user read": lambda r: _query(r) and "ususers" in r.params and "titles" not in r.params,
    "marker look-up": lambda r: _query(r) and "rvuser" in r.params,
    "edit": lambda r: r.method == "POST" and r.action == "edit",
}


@pytest.fixture(scope="module")
def fault_bot(local_wiki: LocalWiki) -> BotCredentials:
    return local_wiki.create_bot(unique_name("FaultBot"))


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_every_fault_at_every_request_of_a_pass_leaves_the_job_running_and_loses_nothing(
        database: Database, local_wiki: LocalWiki, fault_bot: BotCredentials, tmp_path: Path,
        faulty: FaultProxy) -> None:
    wiki = local_wiki
    settings = job_settings(database.url, faulty.api_url, fault_bot.login, fault_bot.password, tmp_path,
                            interval=0.1, retry_base_seconds=0.3, retry_max_seconds=0.6)
    settings["bot"]["timeout"] = [2, 2]  # a withheld answer costs two seconds
    job = Job(wiki, database, tmp_path, settings, fault_bot.user)
    retried, moved, *plain = (unique_name("Fault") for _ in range(5))
    create_accounts(wiki, [retried, moved, *plain])
    renamed = f"Old{moved}"  # no account: its talk page redirects to the new name's (a rename left it)
    wiki.redirect_user_talk(renamed, moved)
    ids = job.approve([retried, renamed, *plain])
    # An earlier attempt landed but the job died before writing it down: the page holds the barnstar, and
    # posting again after a failed look-up for it would show as a second marker.
    with database.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id == ids[0]).values(attempts=1))
    landed = barnstar.render(job.config, deliveries(database, ids[:1])[ids[0]])
    wiki.edit(f"User talk:{retried}", f"== {landed.title} ==\n{landed.text}", user=fault_bot.user)
    faulty.retry_after = 0  # pywikibot would otherwise wait out each Retry-After itself
    for matches in REQUEST_KINDS.values():
        for fault in FAULTS:
            faulty.fail_next(fault, match=matches)
    planned = len(REQUEST_KINDS) * len(FAULTS)

    process = job_process(job)
    try:
        deadline = time.monotonic() + 150
        while faulty.pending or not all_done(database, ids):
            assert process.poll() is None, process.communicate()[1][-4000:]
            assert time.monotonic() < deadline, (faulty.pending, faulty.injected)
            time.sleep(0.1)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-4000:]
    # pywikibot logs each failed request with its traceback; nothing may escape a lane's thread, though.
    assert "Exception in thread" not in err and "state=error" not in err, err[-4000:]
    hit = Counter((kind, fault) for request, fault in list(faulty.seen) if fault
                  for kind, matches in REQUEST_KINDS.items() if matches(request))
    assert hit == Counter({(kind, fault): 1 for kind in REQUEST_KINDS for fault in FAULTS}), hit
    assert sum(faulty.injected.values()) == planned
    rows = deliveries(database, ids)
    for delivery_id, recipient in zip(ids, [retried, moved, *plain], strict=True):
        text = page_text(wiki, f"User talk:{recipient}")
        assert text.count(f"kudos:delivery:{rows[delivery_id].key}") == 1, recipient
        assert text.count("kudos:delivery:") == 1, recipient  # nothing else, nothing twice


def job_process(job: Job) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "wikibot"], cwd=PROJECT_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "KUDOS_CONFIG": str(job.path)})


def all_done(db: Database, ids: list[int]) -> bool:
    return all(d.status == DeliveryStatus.done for d in deliveries(db, ids).values())


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_chaos_three_replicas_killed_and_a_read_only_wiki_deliver_each_barnstar_exactly_once(
        farm: Farm, database: Database, tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    job = FarmJob.make(farm, database, tmp_path, throttle=0.15, wiki_throttles={}, batch_size=5, lease_seconds=3,
                       lane_lease_seconds=1, retry_base_seconds=0.5, retry_max_seconds=1)
    ids = [i for wiki in ("lanea", "laneb", "lanec") for i in job.approve(wiki, job.users(wiki, 5) * 4)]
    job.start(3)
    local, local_edits = farm.wikis[0], job.proxy_of["lanea"]
    killed: set[int] = set()
    started = time.monotonic()
    read_only_from = None  # the local wiki goes read-only for 2.5 s once a few of its barnstars are posted
    next_kill = None  # replicas are killed every 1-3 s once the burst is under way
    try:
        while not all_done(database, ids):
            now = time.monotonic()
            assert now - started < 80, f"random seed {seed}"
            running = [p for p in job.replicas if p.pid not in killed]
            for process in running:
                assert process.poll() is None, (seed, process.communicate()[1][-3000:])
            posted = len(edit_times(local_edits))
            if read_only_from is None and posted >= 3:
                read_only_from = now
                local.set_read_only("Chaos: a data-centre switchover")
            elif read_only_from is not None and now - read_only_from > 2.5:
                local.set_read_only(None)
            if next_kill is None and posted >= 1:
                next_kill = now + chance.uniform(0, 1)
            if next_kill is not None and now >= next_kill and len(killed) < 4:
                victim = chance.choice(running)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed.add(victim.pid)
                job.start(1)  # as Kubernetes restarts a replica
                next_kill = now + chance.uniform(1, 3)
            time.sleep(0.05)
    finally:
        local.set_read_only(None)
    ended = job.stop()
    assert killed and read_only_from is not None, f"random seed {seed}"
    for process, (code, err) in zip(job.replicas, ended, strict=True):
        if process.pid not in killed and code == -signal.SIGTERM and err == "":
            # Restarted a moment before the stop: the signal came while Python itself was starting, before any
            # line of the job (which would have exited 0 from its first statement on) and so before any claim.
            continue
        assert code == (-signal.SIGKILL if process.pid in killed else 0), (seed, err[-3000:])
        assert "Exception in thread" not in err and "state=error" not in err, (seed, err[-3000:])
    assert any("kind=readonly" in err for _, err in ended)  # the read-only window paused the lane
    job.assert_each_exactly_once(ids)
    print(f"random seed {seed}, {len(killed)} replicas killed, {time.monotonic() - started:.1f} s")
