"""Starting and stopping the real servers the tests talk to (Synapse, mastodon-mock, the Bluesky PDS …)."""

from __future__ import annotations

import subprocess
import time

import requests


def wait_until_answering(process: subprocess.Popen[bytes], url: str, timeout: float, what: str,
                         where: str) -> None:
    """Poll `url` until it answers 200; fail early if the process dies, and name where its log is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {where}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:  # not listening yet, or still starting its workers
            pass
        time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"{what} did not answer within {timeout} s; see {where}")


def stop_process(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM lets a server close its databases; SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
