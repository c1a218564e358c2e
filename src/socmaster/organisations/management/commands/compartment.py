"""``socmaster compartment``: create compartments and manage their members (an operator's job).

    socmaster compartment create CODE "NAME" --owner ORGANISATION [--description TEXT]
    socmaster compartment grant CODE USERNAME --reason TEXT [--from DATE] [--to DATE]
    socmaster compartment end CODE USERNAME --reason TEXT [--on DATE]
    socmaster compartment list [CODE]

Every change is audited (as an operator at the command line). Putting a record in a compartment
is done by a member in the product (``core.compartments.place``), not here.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from socmaster.core import compartments
from socmaster.core.models import Compartment
from socmaster.organisations.models import Organisation


def _date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what} must be a date (YYYY-MM-DD), not '{value}'.") from None


def _compartment(code: str) -> Compartment:
    found = Compartment.objects.filter(code=code).first()
    if found is None:
        raise CommandError(f"No compartment '{code}'. Known: {', '.join(_codes()) or 'none'}.")
    return found


def _codes() -> list[str]:
    return list(Compartment.objects.order_by("code").values_list("code", flat=True))


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user '{username}'.")
    return user


class Command(BaseCommand):
    help = "Create compartments and grant or end their memberships (audited)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "grant", "end", "list"])
        parser.add_argument("code", nargs="?")
        parser.add_argument("name_or_user", nargs="?")
        parser.add_argument("--owner", help="create: the owning organisation.")
        parser.add_argument("--description", default="")
        parser.add_argument("--reason", default="")
        parser.add_argument("--from", dest="valid_from")
        parser.add_argument("--to", dest="valid_to")
        parser.add_argument("--on", dest="on")

    def handle(self, *args, **o):
        try:
            getattr(self, f"_{o['action']}")(o)
        except ValidationError as exc:
            problems = (
                [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError("; ".join(problems)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None

    def _need(self, o, *names):
        for name in names:
            if not o.get(name):
                raise CommandError(f"{o['action']} needs {name.replace('_', ' ')}.")

    def _create(self, o):
        self._need(o, "code", "name_or_user", "owner")
        try:
            owner = Organisation.objects.resolve(o["owner"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(str(exc)) from None
        made = compartments.create_compartment(
            None,
            code=o["code"],
            name=o["name_or_user"],
            owner=owner,
            description=o["description"],
        )
        self.stdout.write(f"Compartment {made.code} ({made.name}) created, owned by {owner.name}.")

    def _grant(self, o):
        self._need(o, "code", "name_or_user")
        member = compartments.grant(
            None,
            _compartment(o["code"]),
            _user(o["name_or_user"]),
            reason=o["reason"],
            valid_from=_date(o["valid_from"], "--from"),
            valid_to=_date(o["valid_to"], "--to"),
        )
        self.stdout.write(f"{member.user.username} is a member of {member.compartment.code}.")

    def _end(self, o):
        self._need(o, "code", "name_or_user")
        compartment, user = _compartment(o["code"]), _user(o["name_or_user"])
        current = compartments.current_members(compartment).filter(user=user).first()
        if current is None:
            raise CommandError(f"{user.username} is not a current member of {compartment.code}.")
        compartments.end(None, current, reason=o["reason"], on=_date(o["on"], "--on"))
        self.stdout.write(f"{user.username}'s membership of {compartment.code} ended.")

    def _list(self, o):
        chosen = [_compartment(o["code"])] if o.get("code") else Compartment.objects.all()
        for compartment in chosen:
            members = compartments.current_members(compartment).select_related("user")
            names = ", ".join(m.user.username for m in members) or "no current members"
            self.stdout.write(f"{compartment.code}\t{compartment.name}\t{names}")
