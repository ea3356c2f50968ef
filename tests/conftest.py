"""Shared fixtures. Each module in tests/servers/ starts one real component and is loaded as a plugin."""

from pathlib import Path

pytest_plugins = sorted(
    f"tests.servers.{path.stem}"
    for path in (Path(__file__).parent / "servers").glob("*.py")
    if path.stem != "__init__"
)
