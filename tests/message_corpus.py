"""Thank-you messages as people write them, in English and Odia: for the escaping tests and bench/escaping.py.

Built from pieces by a seeded random generator, so every run sees the same corpus: sentences with
apostrophes, hyphens, colons, semicolons and exclamation marks, page names with namespaces, addresses,
numbers and dates, now and then a [[link]] or a {{template}} typed out of habit, emoji and line breaks.
"""

from __future__ import annotations

import random

OPENINGS = [
    "Thank you for", "Thanks a lot for", "Huge thanks for", "Many thanks for", "I really appreciate",
    "Great job on", "Well done on", "Kudos for", "Thank you so much for", "I'm grateful for",
]
WORK = [
    "the edit-a-thon last weekend", "fixing the citations in Konark Sun Temple", "your work on Mahanadi",
    "uploading forty photos of the temple", "translating the article on Odissi", "cleaning up the stubs",
    "reviewing new pages during the backlog drive", "adding references to Cuttack's history",
    "organising the photo walk in Bhubaneswar", "your patient answers at the help desk",
    "the 2-day workshop at Utkal University", "copy-editing the Featured Article candidate",
    "writing 12 new articles in a week", "fixing 300+ typos", "mentoring newcomers at the Teahouse",
]
TAILS = [
    "It's really appreciated!", "Don't stop now :)", "Keep it up!", "You're a star.",
    "The article reads much better now.",
    "See Wikipedia:Barnstars for more.", "Your edits on Talk:Jagannath Temple were spot-on.",
    "I've nominated you because nobody else had yet.", "Looking forward to the next meet-up!",
    "The numbers: 45 articles, 1,200 edits, 3 days.", "Well-sourced, well-written; thank you.",
    "Q&A session notes are on the event page.", "Photos are at Commons:Category:Konark.",
    "Scores: 10/10 — would read again!", "We met on 12 March 2026 at 10:30.", "Thanks again!!",
    "P.S. the template {{cite web}} is easier than it looks.", "See [[Wikipedia:Edit-a-thon]] too.",
    "Your user page says you're from Puri — so am I!", "=) 🎉👏",
]
URLS = [
    "https://or.wikipedia.org/wiki/କୋଣାର୍କ_ସୂର୍ଯ୍ୟ_ମନ୍ଦିର", "https://en.wikipedia.org/wiki/Konark_Sun_Temple",
    "https://commons.wikimedia.org/wiki/Category:Konark", "https://outreachdashboard.wmflabs.org/courses/x/y",
    "http://example.org/report.pdf", "https://meta.wikimedia.org/wiki/Event:Odia_Wikipedia_Photo_Walk",
]
ODIA = [
    "ଧନ୍ୟବାଦ!", "ଆପଣଙ୍କ କାମ ପାଇଁ ବହୁତ ଧନ୍ୟବାଦ।", "ଏଡିଟାଥନରେ ଆପଣଙ୍କ ଯୋଗଦାନ ଅତୁଳନୀୟ।",
    "କୋଣାର୍କ ସୂର୍ଯ୍ୟ ମନ୍ଦିର ଲେଖାଟି ଏବେ ବହୁତ ଭଲ ହୋଇଛି।", "୪୫ଟି ନୂଆ ପ୍ରବନ୍ଧ — ଚମତ୍କାର!",
    "ଫଟୋ ଚାଲିରେ ଆପଣ ଉଠାଇଥିବା ଛବିଗୁଡ଼ିକ ସୁନ୍ଦର।", "ଏମିତି ଆଗକୁ ବଢ଼ନ୍ତୁ: ଉଇକିପିଡ଼ିଆ ଆପଣଙ୍କୁ ଦରକାର କରେ।",
    "ଆଲୋଚନା:ଜଗନ୍ନାଥ ମନ୍ଦିରରେ ଆପଣଙ୍କ ମତାମତ ସାହାଯ୍ୟ କଲା।", "ଶୁଭେଚ୍ଛା ସହ,", "ନୂଆ ସମ୍ପାଦକଙ୍କୁ ସାହାଯ୍ୟ କରିଥିବାରୁ ଧନ୍ୟବାଦ।",
]


def _english(rng: random.Random) -> str:
    parts = [f"{rng.choice(OPENINGS)} {rng.choice(WORK)}{rng.choice(['.', '!', ' —', ';', ','])}"]
    for _ in range(rng.randint(0, 3)):
        parts.append(rng.choice(TAILS))
    if rng.random() < 0.3:
        parts.append(f"Link: {rng.choice(URLS)}")
    return " ".join(parts)


def _odia(rng: random.Random) -> str:
    parts = [rng.choice(ODIA) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.2:
        parts.append(rng.choice(URLS))
    if rng.random() < 0.2:
        parts.append(rng.choice(TAILS))  # mixed-language messages are common on Odia Wikipedia
    return " ".join(parts)


def messages(count: int = 1000, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        text = _odia(rng) if rng.random() < 0.4 else _english(rng)
        if rng.random() < 0.15:
            text += "\n\n" + (_odia(rng) if rng.random() < 0.5 else rng.choice(TAILS))
        found.append(text)
    return found
