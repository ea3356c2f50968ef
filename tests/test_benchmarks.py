"""Benchmarks cannot rot: each takes `--quick`, and the runner CI uses fails on a crash or a missing RESULT line.

The quick run itself happens in `.ci/run` (`make bench QUICK=1`), after the tests; here the runner is
checked against small stand-in benchmarks, and every real benchmark is asked for its options.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "scripts" / "run-benchmarks"
BENCHMARKS = sorted((ROOT / "bench").glob("*.py"))


def run_benchmarks(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BENCH_DIR": str(folder), "PYTHON": sys.executable}
    return subprocess.run([str(RUNNER), *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def bench_folder(tmp_path: Path, **scripts: str) -> Path:
    for name, body in scripts.items():
        (tmp_path / f"{name}.py").write_text(body)
    return tmp_path


FINE = "print('RESULT fine x=1')\n"


@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=lambda p: p.name)
def test_every_benchmark_takes_quick(benchmark: Path) -> None:
    shown = subprocess.run([sys.executable, str(benchmark), "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "--quick" in shown.stdout


def test_runner_passes_when_every_benchmark_prints_its_result(tmp_path: Path) -> None:
    done = run_benchmarks(bench_folder(tmp_path, a=FINE, b="import sys\nprint('RESULT b y=2', sys.argv[1:])\n"),
                          "--quick")
    assert done.returncode == 0, done.stdout
    assert "RESULT fine x=1" in done.stdout and "RESULT b y=2 ['--quick']" in done.stdout


def test_runner_fails_when_a_benchmark_crashes(tmp_path: Path) -> None:
    done = run_benchmarks(bench_folder(tmp_path, a=FINE, b="raise RuntimeError('NOT NULL constraint failed')\n"),
                          "--quick")
    assert done.returncode != 0
    assert "b.py printed no RESULT line (exit status 1)" in done.stdout
    assert "RESULT fine x=1" in done.stdout  # the others still ran


def test_runner_fails_when_a_benchmark_prints_no_result(tmp_path: Path) -> None:
    done = run_benchmarks(bench_folder(tmp_path, a=FINE, b="print('RESULTS b x=1')\n"), "--quick")
    assert done.returncode != 0
    assert "b.py printed no RESULT line (exit status 0)" in done.stdout


def test_runner_fails_when_a_benchmark_crashes_after_its_result(tmp_path: Path) -> None:
    done = run_benchmarks(bench_folder(tmp_path, a="print('RESULT a x=1')\nraise SystemExit(3)\n"), "--quick")
    assert done.returncode != 0
    assert "a.py exited with status 3" in done.stdout


def test_the_web_benchmark_refuses_a_page_it_does_not_drive() -> None:
    # Checked before anything is seeded: a typo costs a second, not a seeded database and a server.
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "web.py"), "--pages", "/dashboard,/dashbord"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 2
    assert "no such page: /dashbord" in done.stderr and "seeded" not in done.stdout
