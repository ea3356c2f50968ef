"""The delivery job: `python -m wikibot` performs the outbox's deliveries (talk pages, social channels)."""
