"""What the README says `make test` does, read off the commands make would run (`make -n`), and where it
keeps the components it installs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _commands(*variables: str) -> list[str]:
    done = subprocess.run(["make", "-n", "test", *variables], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_the_suite_installs_its_components_then_runs_in_two_processes_writing_bytecode() -> None:
    commands = _commands()
    install = commands.index("scripts/install-test-deps.sh")
    pytest_runs = [command for command in commands if " -m pytest" in command]
    assert len(pytest_runs) == 1 and commands.index(pytest_runs[0]) > install
    run = pytest_runs[0].split()
    assert run[0] == "PYTHONDONTWRITEBYTECODE="
    assert run[run.index("-n") + 1] == "2" and run[run.index("--dist") + 1] == "loadfile"
    assert "--no-loadscope-reorder" in run


def test_test_workers_0_runs_in_one_process_and_pytest_args_are_passed() -> None:
    run = next(command for command in _commands("TEST_WORKERS=0", "PYTEST_ARGS=-x --lf") if " -m pytest" in command)
    assert "-n" not in run.split() and "--dist" not in run
    assert run.split()[-4:] == ["-m", "pytest", "-x", "--lf"]
    three = next(command for command in _commands("TEST_WORKERS=3") if " -m pytest" in command).split()
    assert three[three.index("-n") + 1] == "3"


@pytest.mark.parametrize("setting", ["KUDOS_TEST_CACHE", "XDG_CACHE_HOME", "HOME", None])
def test_the_install_steps_and_the_tests_agree_where_the_components_are(tmp_path: Path, setting: str | None) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("KUDOS_TEST_CACHE", "XDG_CACHE_HOME", "HOME")}
    if setting is not None:
        env[setting] = str(tmp_path / "some where")  # a space: the scripts quote what they must
    def run(*command: str) -> str:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                              check=True).stdout

    installed = run("bash", "-c", 'set -euo pipefail; source scripts/lib/test-cache.sh; printf %s "$KUDOS_TEST_CACHE"')
    looked_up = run(sys.executable, "-c", "from tests.support import TEST_CACHE; print(TEST_CACHE, end='')")
    assert installed == looked_up and Path(installed).is_dir()
    if setting is not None:
        assert installed.startswith(str(tmp_path))
