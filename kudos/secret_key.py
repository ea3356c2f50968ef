"""Production's `secret_key` must be long, varied and private, or Kudos does not start.

The key signs session cookies, CSRF tokens and consent links: whoever knows it can forge all three. A key
is refused when it is missing or shorter than 32 characters, holds whitespace, repeats a short pattern or
uses fewer than 8 different characters (32 characters of `openssl rand -hex 16` hold 8 or more all but
about once in a million), or appears anywhere in the project's published files — the example
configuration's placeholder, a test's key, a document's sample — compared without regard to case. The
published files are those the project's .gitignore does not exclude, so a config.yaml beside the code,
where the real key belongs, is not one of them; installed packages (a virtualenv, site-packages,
node_modules) are not the project's either. The files are read once per process (about 2 MB, a few
milliseconds).
"""

from __future__ import annotations

import fnmatch
import os
from functools import lru_cache
from pathlib import Path

from kudos.errors import ConfigError

MIN_LENGTH = 32
MIN_DIFFERENT = 8
ADVICE = "make one with `openssl rand -hex 32` and set it as TOOL_SECRET_KEY"
LARGEST_FILE = 4 * 1024 * 1024
INSTALLED = ("site-packages", "node_modules")


def refusal(reason: str) -> ConfigError:
    return ConfigError(f"The configuration key “secret_key” {reason}; {ADVICE}.")


def check(key: str, root: Path) -> None:
    """Raise ConfigError with one sentence when `key` must not sign production sessions."""
    if not key:
        raise refusal("is missing, and production needs a long random secret")
    if any(character.isspace() for character in key):
        raise refusal("holds whitespace, which a generated key never does")
    if len(key) < MIN_LENGTH:
        raise refusal(f"is too short ({len(key)} characters; production needs at least {MIN_LENGTH})")
    if len(set(key)) < MIN_DIFFERENT or _period(key) < len(key):
        raise refusal("repeats a few characters over and over, so it is easy to guess")
    root = root.resolve()
    needle = key.lower().encode("utf-8")
    for path, content in _published_files(root):
        if needle in content:
            raise refusal(f"is public: it is written in {path.relative_to(root)}, part of the published code")


def _period(key: str) -> int:
    """The length of the shortest unit that, repeated, makes up the key (the key's length if none)."""
    for size in range(1, len(key) // 2 + 1):
        if all(key[i] == key[i % size] for i in range(len(key))):
            return size
    return len(key)


def _ignored_patterns(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The .gitignore's name patterns: those that name only directories, and those that name anything."""
    directories, anything = [".git"], []
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in (line.strip() for line in lines):
        if not line or line.startswith(("#", "!")):
            continue
        if line.endswith("/"):
            directories.append(line.strip("/"))
        else:
            anything.append(line.lstrip("/"))
    return tuple(directories), tuple(anything)


@lru_cache(maxsize=4)
def _published_files(root: Path) -> tuple[tuple[Path, bytes], ...]:
    """Every file of the project that git would publish, lower-cased."""
    directories, anything = _ignored_patterns(root)

    def ignored(name: str, patterns: tuple[str, ...]) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)

    found = []
    for directory, subdirectories, names in os.walk(root):
        if "pyvenv.cfg" in names:  # a virtualenv, whatever its name
            subdirectories[:] = []
            continue
        subdirectories[:] = sorted(d for d in subdirectories
                                   if d not in INSTALLED and not ignored(d, directories + anything))
        for name in sorted(names):
            path = Path(directory) / name
            if ignored(name, anything):
                continue
            try:
                if path.is_file() and path.stat().st_size <= LARGEST_FILE:
                    found.append((path, path.read_bytes().lower()))
            except OSError:
                continue
    return tuple(found)
