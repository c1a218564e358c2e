"""Passwords: Django's validators (length, common list, similarity) plus an offline strength check."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


@pytest.mark.parametrize("password", ["qwertyuiopas", "password1234", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused_with_a_clear_message(password):
    with pytest.raises(ValidationError) as exc:
        validate_password(password)
    assert any("too easy to guess" in m or "too common" in m for m in exc.value.messages), (
        exc.value.messages
    )


def test_the_strength_message_says_what_to_do():
    with pytest.raises(ValidationError) as exc:
        validate_password("qwertyuiopas")
    message = " ".join(exc.value.messages)
    assert "too easy to guess" in message
    assert "keyboard" in message.lower() or "words" in message.lower()


def test_a_short_password_is_refused():
    with pytest.raises(ValidationError):
        validate_password("Xk#9vQ!2m")


def test_a_strong_passphrase_is_accepted():
    validate_password("correct horse battery staple")
    validate_password("lantern orbit mackerel fjord")


@pytest.mark.django_db
def test_createuser_refuses_a_keyboard_run_with_a_field_message(monkeypatch):
    from django.core.management import CommandError, call_command

    from socmaster.organisations.models import User

    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "qwertyuiopas")
    with pytest.raises(CommandError) as exc:
        call_command("createuser", "weak.user", "--organisation", "NEROCU", "--role", "analyst")
    assert "password" in str(exc.value) and "too easy to guess" in str(exc.value)
    assert not User.objects.filter(username="weak.user").exists()
