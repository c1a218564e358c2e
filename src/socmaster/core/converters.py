"""The ``ref`` path converter for record references in addresses.

References people choose now match ``validators.REFERENCE_PATTERN`` and appear in addresses as they
are. Older records may hold any characters, '/' included; the converter percent-encodes those with
'~' in place of '%' (web servers decode '%2F' to '/' before Django sees the path), so every record
has an address that opens it and reversing an address never fails.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from django.urls import register_converter


class ReferenceConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value.replace("~", "%"))

    def to_url(self, value: str) -> str:
        return quote(str(value), safe="-._").replace("~", "%7E").replace("%", "~")


register_converter(ReferenceConverter, "ref")
