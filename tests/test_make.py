"""What the README says `make test` does, read off the commands make would run (`make -n`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
