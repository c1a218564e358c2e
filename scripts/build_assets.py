"""Copy GOV.UK Frontend, htmx and Chart.js from node_modules into the Django static folder.

The product serves every asset itself: nothing is loaded from a CDN at run time. The GDS
Transport font and the crown belong to GOV.UK services only, so their @font-face rules are
removed (text falls back to Arial, as the Design System intends off GOV.UK).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "src" / "socmaster" / "web" / "static" / "vendor"


def main() -> int:
    govuk = NODE / "govuk-frontend" / "dist" / "govuk"
    if not govuk.exists():
        print("node_modules is missing: run 'npm ci' first", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "govuk").mkdir(parents=True)
    css = (govuk / "govuk-frontend.min.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("url(/assets/", "url(assets/")
    (OUT / "govuk" / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    shutil.copy(govuk / "govuk-frontend.min.js", OUT / "govuk" / "govuk-frontend.min.js")
    shutil.copytree(govuk / "assets" / "images", OUT / "govuk" / "assets" / "images")
    shutil.copy(NODE / "htmx.org" / "dist" / "htmx.min.js", OUT / "htmx.min.js")
    shutil.copy(NODE / "chart.js" / "dist" / "chart.umd.js", OUT / "chart.umd.js")
    print(f"assets copied to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
