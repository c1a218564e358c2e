"""The ``socmaster`` command: one front door over the Django management commands.

``socmaster migrate``, ``socmaster demo``, ``socmaster serve``, ``socmaster createuser``,
``socmaster verify-audit``, ``socmaster load-organisations``… ``socmaster help`` lists them all.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["socmaster", *args])


if __name__ == "__main__":
    main()
