"""Fan-out benchmark: 100 shout-outs × 5 social channels, 200 ms of injected latency on every request.

Starts its own stub servers (Mastodon, Telegram, Discord, Slack, Zulip) on loopback, approves 100
nominations of a consenting recipient in a temporary SQLite database, and sends all 500 social
deliveries with `kudos.social.send_all`, as the delivery job does. The sequential sum is measured by
sending a sample one request at a time and scaling it to 500. Run from the repository root:

    python bench/fanout.py [--quick]

`--quick` sends 10 shout-outs (a sample of 3) instead of 100 (10): the same steps in a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kudos import nominations, people  # noqa: E402
from kudos.channels import Posted  # noqa: E402
from kudos.db import Database  # noqa: E402
from kudos.models import Base, Consent, Delivery, DeliveryStatus  # noqa: E402
from kudos.outbox import is_social  # noqa: E402
from kudos.social import channel_for, deliver, send_all, shoutout_of  # noqa: E402
from tests.factories import make_campaign, make_nomination  # noqa: E402
from tests.servers.chat_stubs import ChatStubs  # noqa: E402
from tests.servers.mastodon_faults import MastodonFaults  # noqa: E402
from tests.support import make_config  # noqa: E402

LATENCY = 0.2
CHANNELS = ["mastodon", "telegram", "discord", "slack", "zulip"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 shout-outs instead of 100")
    # SAMPLE: shout-outs sent one request at a time to measure the sequential cost.
    shoutouts, sample_size = (10, 3) if parser.parse_args().quick else (100, 10)
    mastodon, chat = MastodonFaults().start(), ChatStubs().start()
    assert isinstance(mastodon, MastodonFaults) and isinstance(chat, ChatStubs)
    try:
        for stub in (mastodon, chat):
            stub.fail("/", None, times=None, delay=LATENCY)  # every request answers 200 ms late
        config = make_config(tool_url="https://kudos.bench", channels={
            "mastodon": {"type": "mastodon", "base_url": mastodon.base_url, "access_token": mastodon.token},
            "telegram": {"type": "telegram", "base_url": chat.telegram_base_url, "bot_token": chat.telegram_token,
                         "chat_id": "-1001234567890"},
            "discord": {"type": "discord", "webhook_url": chat.discord_webhook_url()},
            "slack": {"type": "slack", "webhook_url": chat.slack_webhook_url()},
            "zulip": {"type": "zulip", "site": chat.zulip_site, "email": chat.zulip_email,
                      "api_key": chat.zulip_key, "stream": "general"},
        })
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{folder}/bench.sqlite")
            Base.metadata.create_all(database.engine)
            with database.transaction() as session:
                campaign = make_campaign(session, config, channels=tuple(CHANNELS))
                people.set_consent(session, "Ravi", Consent.granted)
                for number in range(shoutouts + sample_size):
                    nomination = make_nomination(session, config, campaign, nominator=f"Nominator {number}")
                    nominations.approve(session, config, nomination, "Olga Organizer")
            for name in CHANNELS:  # warm up: instance limits and connections, as a running job has them
                channel_for(config, name).limits()

            with database.session() as session:
                due = [d for d in session.query(Delivery).filter_by(status=DeliveryStatus.pending)
                       .order_by(Delivery.id) if is_social(d.channel)]
                sample, batch = due[: sample_size * len(CHANNELS)], due[sample_size * len(CHANNELS):]

                began = time.monotonic()
                for delivery in sample:
                    deliver(channel_for(config, delivery.channel), shoutout_of(config, delivery))
                per_send = (time.monotonic() - began) / len(sample)

                began = time.monotonic()
                results = send_all(config, batch)
                wall = time.monotonic() - began
        posted = sum(isinstance(outcome, Posted) for outcome in results.values())
        sequential = per_send * len(batch)
        ratio = wall / sequential
        print(f"shout-outs: {shoutouts}, channels: {len(CHANNELS)}, requests: {len(batch)}, "
              f"injected latency: {LATENCY * 1000:.0f} ms per request")
        print(f"posted: {posted}/{len(batch)}")
        print(f"sequential: {per_send * 1000:.0f} ms per send (sample of {len(sample)}), "
              f"sum for {len(batch)}: {sequential:.1f} s")
        print(f"concurrent wall time: {wall:.2f} s")
        if posted != len(batch):
            failures = {type(o).__name__ for o in results.values() if not isinstance(o, Posted)}
            print(f"not posted: {failures}", file=sys.stderr)
        print(f"RESULT fanout ratio_to_sequential={ratio:.3f}")
    finally:
        mastodon.stop()
        chat.stop()


if __name__ == "__main__":
    main()
