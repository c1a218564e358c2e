"""Shared fixtures: reference organisations come from the migrations; people are made here."""

from __future__ import annotations

import io
import itertools

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from socmaster.organisations.models import Membership, Organisation, User

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (tested in tests/core/test_settings.py); tests use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_key_and_anchors(settings, tmp_path_factory):
    # A fixed audit key and a fresh anchor file for each test, outside the checkout.
    settings.AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"
    settings.AUDIT_KEYS = []
    settings.AUDIT_KEY_FILE = tmp_path_factory.getbasetemp() / "no-audit.key"
    settings.AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("anchors") / "audit-anchors.jsonl"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    # Background tasks run as they are enqueued, so tests are deterministic; uploads go to tmp.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SOCMASTER = {**settings.SOCMASTER, "IMPORT_DIR": str(tmp_path / "imports")}


@pytest.fixture(autouse=True)
def _reset_axes(settings):
    settings.AXES_ENABLED = True
    yield


@pytest.fixture
def org():
    """Look up a reference organisation by key."""

    def get(key: str) -> Organisation:
        return Organisation.objects.get(key=key)

    return get


@pytest.fixture
def make_user(db):
    """make_user("force-durham", "analyst", ...) -> a user with those roles in that organisation."""

    def make(
        org_key: str, *roles: str, username: str | None = None, superuser: bool = False
    ) -> User:
        organisation = Organisation.objects.get(key=org_key)
        user = User.objects.create_user(
            username=username or f"user{next(_counter)}",
            password=PASSWORD,
            home_organisation=organisation,
            is_superuser=superuser,
        )
        for role in roles:
            Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def api():
    """An API client logged in as the given user (force_authenticate uses the same code paths)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def web(client):
    """A Django test client logged in as the given user."""

    def login(user):
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        return client

    return login


@pytest.fixture
def reference_data(db):
    """Reload the reference data the migrations load, for a transactional test that may follow
    another one that flushed every table (organisations, phases, crime types and their aliases,
    tactics and standards, the default scoring scheme). Each loader is idempotent."""
    import importlib

    from django.apps import apps
    from django.core.management import call_command

    call_command("load-organisations", stdout=io.StringIO())
    for module, function in (
        ("socmaster.threats.migrations.0002_reference_data", "load"),
        ("socmaster.threats.migrations.0008_import_jobs_and_reference_aliases", "add_aliases"),
        ("socmaster.disruptions.migrations.0002_reference_data", "load"),
        ("socmaster.assessments.migrations.0002_default_scheme", "load"),
    ):
        getattr(importlib.import_module(module), function)(apps, None)
