"""`/healthz` (toolforge/README.md, "Watching it"): it pings the database, and answers 503 when the database
cannot be reached, so Kubernetes restarts the webservice; once the database is back it answers 200 again.

The web tool reaches the real MariaDB through a TCP relay that the test cuts and restores: the server is
really gone for the web tool, with its pool's connections cut mid-life.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from kudos.db import Database
from kudos.web import create_app
from tests.servers.database import MARIADB_HOST, MARIADB_PORT
from tests.stub_http import free_port
from tests.support import make_config


class Relay:
    """Forwards a local port to MariaDB until `cut`, which also drops every connection it carries."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def open(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        for sock in [*self.sockets, *([self.listener] if self.listener else [])]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets, self.listener = [], None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:  # cut
                return
            server = socket.create_connection((MARIADB_HOST, MARIADB_PORT))
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.close()
                except OSError:
                    pass


def _client(url: str) -> FlaskClient:
    return create_app(make_config(database_url=url), Database(url)).test_client()


def _relayed(mariadb_url: str, port: int) -> str:
    return mariadb_url.replace(f"{MARIADB_HOST}:{MARIADB_PORT}", f"127.0.0.1:{port}")


@pytest.fixture
def relay(mariadb_url: str) -> Iterator[Relay]:
    relay = Relay(free_port())
    relay.open()
    yield relay
    relay.cut()


def test_a_database_nobody_answers_for_is_a_503(mariadb_url: str) -> None:
    response = _client(_relayed(mariadb_url, free_port())).get("/healthz")  # nothing listens there
    assert (response.status_code, response.get_data(as_text=True)) == (503, "database unavailable\n")
    assert response.mimetype == "text/plain"


def test_a_database_that_goes_away_is_a_503_until_it_is_back(mariadb_url: str, relay: Relay) -> None:
    client = _client(_relayed(mariadb_url, relay.port))
    answers = [client.get("/healthz").status_code]
    relay.cut()
    answers.append(client.get("/healthz").status_code)
    relay.open()
    answers.append(client.get("/healthz").status_code)
    assert answers == [200, 503, 200]
