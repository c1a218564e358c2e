"""``socmaster serve``: each instance has its own gunicorn control socket, or none."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from gunicorn.app.base import BaseApplication


@pytest.fixture
def served(monkeypatch):
    """Run ``serve`` up to the point gunicorn would start, and keep the configuration it built."""
    configs = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: configs.append(self.cfg))

    def serve(*args):
        call_command("serve", *args)
        return configs[-1]

    return serve


def test_each_instance_has_its_own_control_socket_in_its_var_dir(served, settings, tmp_path):
    sockets = []
    for name in ("unit-a", "unit-b"):
        settings.VAR_DIR = tmp_path / name
        cfg = served("--bind", "127.0.0.1:0")
        assert not cfg.control_socket_disable
        assert cfg.control_socket == str(tmp_path / name / "run" / "gunicorn.ctl")
        assert cfg.control_socket_mode == 0o600
        sockets.append(cfg.control_socket)
    assert sockets[0] != sockets[1]


def test_the_control_socket_can_be_switched_off(served, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    cfg = served("--no-control-socket")
    assert cfg.control_socket_disable


def test_a_var_dir_too_deep_for_a_unix_socket_runs_without_one(served, settings, tmp_path):
    settings.VAR_DIR = tmp_path / ("d" * 120)
    cfg = served()
    assert cfg.control_socket_disable
