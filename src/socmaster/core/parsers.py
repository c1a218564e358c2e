"""Request parsing that refuses text PostgreSQL cannot store (the NUL character) and JSON nested
beyond a sane depth."""

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


#: No request body the API takes nests deeper than a few levels; beyond this it is refused.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON must not be nested more than {MAX_JSON_DEPTH} levels deep."


def json_depth(value) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return _refuse_nul(data)


class StrictFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))
