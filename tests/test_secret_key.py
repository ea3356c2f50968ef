"""Production refuses a secret_key that is short, weak or public, in one sentence that says how to make one."""

from __future__ import annotations

import re
import secrets
import string
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kudos import secret_key
from kudos.errors import ConfigError
from tests.support import make_config

ROOT = Path(__file__).resolve().parent.parent
# A run of 32 or more characters of the kinds keys are made of (hex, base64, URL-safe tokens, punctuated
# passwords): every string in the repository that could be pasted as a key.
KEY_LIKE = re.compile(r"[A-Za-z0-9!#$%&*+,./:;<=>?@^_|~-]{32,}")


def _production(secret_key: object) -> object:
    return make_config(environment="production", dev_login=False, secret_key=secret_key)


def _refusal(secret_key: str) -> str:
    with pytest.raises(ConfigError) as raised:
        _production(secret_key)
    return raised.value.message


def _is_one_sentence_naming_the_key(text: str) -> bool:
    return ("“secret_key”" in text and "openssl rand -hex 32" in text and text.endswith(".")
            and ". " not in text.replace("e.g. ", ""))


def test_the_example_placeholder_is_refused() -> None:
    placeholder = yaml.safe_load((ROOT / "config.example.yaml").read_text())["secret_key"]
    message = _refusal(placeholder)
    assert _is_one_sentence_naming_the_key(message), message
    assert "config.example.yaml" in message


@pytest.mark.parametrize("weak", [
    " " * 16, " " * 40, "a" * 20, "a" * 64, "ab" * 20, "0123456789abcdef" * 2, "abcabcabcabcabcabcabcabcabcabcabc",
    # Random ones carry fixed ids: test ids must be the same in every process that collects them.
    pytest.param(secrets.token_hex(15) + "x", id="random-31-characters"),
    pytest.param(secrets.token_hex(16) + " " + secrets.token_hex(16), id="random-with-a-space"),
    pytest.param("\t" + secrets.token_hex(32), id="random-after-a-tab"),
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
])
def test_short_repetitive_or_spaced_keys_are_refused(weak: str) -> None:
    assert _is_one_sentence_naming_the_key(_refusal(weak))


def test_a_missing_key_is_refused_with_the_same_advice() -> None:
    assert _is_one_sentence_naming_the_key(_refusal(""))


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = []
    for name in listed.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and b"\0" not in path.read_bytes()[:4096]:
            files.append(path)
    return files


def test_every_key_like_string_in_the_repository_is_refused() -> None:
    candidates: dict[str, Path] = {}
    for path in _tracked_text_files():
        for found in KEY_LIKE.findall(path.read_text(encoding="utf-8", errors="replace")):
            candidates.setdefault(found, path)
    assert len(candidates) > 100  # the scan reads the code, the tests and the documents
    accepted = []
    for candidate, path in candidates.items():
        try:
            secret_key.check(candidate, ROOT)  # what production's configuration calls
        except ConfigError:
            continue
        accepted.append(f"{path.relative_to(ROOT)}: {candidate}")
    assert accepted == []


def test_a_key_found_in_the_repository_is_refused_whatever_its_case() -> None:
    literal = "deployment-key-kept-in-the-repository-0123456789"  # not a key anyone may use: it is right here
    assert "test_secret_key.py" in _refusal(literal)
    assert "test_secret_key.py" in _refusal(literal.upper())


def _project(root: Path, key: str, notes: str) -> Path:
    root.mkdir()
    (root / ".gitignore").write_text("config.yaml\ninstance/\n")
    (root / "config.yaml").write_text(f"secret_key: {key}\n")
    (root / "instance").mkdir()
    (root / "instance" / "saved").write_text(key)
    (root / "docs").mkdir()
    (root / "docs" / "setup.md").write_text(notes)
    for installed in ("env/lib/site.py", "lib/site-packages/pkg/keys.py", "web/node_modules/pkg/keys.js"):
        (root / installed).parent.mkdir(parents=True)
        (root / installed).write_text(key)
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return root


def test_published_files_are_those_git_would_publish(tmp_path: Path) -> None:
    """A config.yaml beside the code holds the real key: the .gitignore keeps it unpublished, and installed
    packages are not the project's; any other file is published."""
    key = secrets.token_hex(32)
    secret_key.check(key, _project(tmp_path / "private", key, "Make the key with openssl.\n"))
    with pytest.raises(ConfigError, match=r"written in docs/setup\.md"):
        secret_key.check(key, _project(tmp_path / "published", key, f"For example {key.upper()}\n"))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([secrets.token_hex, secrets.token_urlsafe]), st.integers(min_value=24, max_value=64))
def test_keys_made_as_advised_are_accepted(make: object, size: int) -> None:
    key = make(size)  # type: ignore[operator]  # 48 or more characters; 32 and up for token_urlsafe(24)
    assert _production(key).secret_key == key  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.printable, max_size=31))
def test_every_key_shorter_than_32_characters_is_refused(key: str) -> None:
    assert _is_one_sentence_naming_the_key(_refusal(key))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=7), st.integers(2, 40))
def test_a_repeated_short_pattern_is_refused(unit: str, times: int) -> None:
    key = (unit * 64)[: max(32, len(unit) * times)]
    assert _is_one_sentence_naming_the_key(_refusal(key))


def test_development_needs_no_key() -> None:
    config = make_config(secret_key="")
    assert len(config.secret_key) >= 32  # a generated one
