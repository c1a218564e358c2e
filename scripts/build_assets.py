"""Copy GOV.UK Frontend, htmx and Chart.js from node_modules into the Django static folder, and
axe-core (for the accessibility test only, never served) into var/test-assets.

The product serves every asset itself: nothing is loaded from a CDN at run time. The GDS
Transport font and the crown belong to GOV.UK services only, so their @font-face rules are
removed (text falls back to Arial, as the Design System intends off GOV.UK).

Source maps are not shipped, so the ``sourceMappingURL`` comments that point at them are removed:
the production storage (WhiteNoise's CompressedManifestStaticFilesStorage) follows every such
reference when it runs ``collectstatic`` and fails on a missing one.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "src" / "socmaster" / "web" / "static" / "vendor"
#: Test-only assets: outside the static folders, so they are never served to users.
TEST_ASSETS = ROOT / "var" / "test-assets"

SOURCE_MAP = re.compile(
    r"\n?(?://[#@] ?sourceMappingURL=[^\n]*|/\*[#@] ?sourceMappingURL=[^*]*\*/)\s*$"
)


def without_source_map(text: str) -> str:
    """The text without its trailing sourceMappingURL comment (JS or CSS form)."""
    return SOURCE_MAP.sub("\n", text)


def copy_script(source: Path, target: Path) -> None:
    target.write_text(without_source_map(source.read_text(encoding="utf-8")), encoding="utf-8")


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
    css = without_source_map(css)
    (OUT / "govuk" / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    copy_script(govuk / "govuk-frontend.min.js", OUT / "govuk" / "govuk-frontend.min.js")
    shutil.copytree(govuk / "assets" / "images", OUT / "govuk" / "assets" / "images")
    copy_script(NODE / "htmx.org" / "dist" / "htmx.min.js", OUT / "htmx.min.js")
    copy_script(NODE / "chart.js" / "dist" / "chart.umd.js", OUT / "chart.umd.js")
    copy_script(NODE / "cytoscape" / "dist" / "cytoscape.min.js", OUT / "cytoscape.min.js")
    TEST_ASSETS.mkdir(parents=True, exist_ok=True)
    copy_script(NODE / "axe-core" / "axe.min.js", TEST_ASSETS / "axe.min.js")
    print(f"assets copied to {OUT.relative_to(ROOT)} and {TEST_ASSETS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
