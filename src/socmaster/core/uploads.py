"""Uploaded files kept for a background task: one helper for every upload page."""

from __future__ import annotations

import codecs
import uuid
from pathlib import Path

from django.conf import settings


def store_upload(upload) -> Path | None:
    """Copy the upload to the import folder (``SOCMASTER_IMPORT_DIR``, shared by server and
    worker), checking as it goes that it is UTF-8 text; the copy keeps the file's extension
    (.csv or .json). None (and nothing kept) if it is not UTF-8."""
    folder = Path(settings.SOCMASTER["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".json" if upload.name.lower().endswith(".json") else ".csv"
    path = folder / f"upload-{uuid.uuid4().hex}{suffix}"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                decoder.decode(chunk)
                out.write(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        path.unlink(missing_ok=True)
        return None
    return path
