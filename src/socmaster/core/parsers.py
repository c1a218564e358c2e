"""Request parsing that refuses text PostgreSQL cannot store (the NUL character)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def _refuse_nul(data):
    items = data.data if hasattr(data, "files") else data  # multipart gives DataAndFiles
    if hasattr(items, "lists"):
        items = {k: v for k, v in items.lists()}
    if contains_nul(items):
        message = "Text must not contain the NUL character (\\u0000)."
        if isinstance(items, dict):  # name the field, as the services do for other controls
            bad = [str(k) for k, v in items.items() if not contains_nul(k) and contains_nul(v)]
            if bad and len(bad) == sum(1 for k, v in items.items() if contains_nul((k, v))):
                raise ValidationError({name: [message] for name in bad})
        raise ParseError(message)
    return data


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class StrictFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))
