"""`socmaster serve` (and so `socmaster demo`) runs the background worker beside the server."""

from __future__ import annotations

import pytest
from django.core.management import call_command


class FakeWorker:
    started: list = []

    def __init__(self, args):
        self.args, self.pid, self.stopped = args, 4321, False
        FakeWorker.started.append(self)

    def terminate(self):
        self.stopped = True

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def fake(monkeypatch):
    import subprocess

    from gunicorn.app.base import BaseApplication

    FakeWorker.started = []
    monkeypatch.setattr(subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(BaseApplication, "run", lambda self: None)
    return FakeWorker


def test_serve_starts_the_worker_and_stops_it_with_the_server(fake):
    call_command("serve")
    (worker,) = fake.started
    assert worker.args[-2:] == ["db_worker", "--no-reload"] and worker.stopped


def test_serve_without_the_worker(fake):
    call_command("serve", worker=False)
    assert fake.started == []
