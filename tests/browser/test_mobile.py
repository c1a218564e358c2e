"""On a phone (390 px wide): the service navigation folds behind a "Menu" button, and pages fit
the screen (wide tables scroll inside their own region instead of widening the page)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
#: Data-heavy pages of the demo LRO: lists, reports, a threat and its plan.
SAMPLE = [
    "/",
    "/threats/",
    "/threats/DEMO-0005/",
    "/threats/nominals/",
    "/plans/",
    "/plans/quality/",
    "/plans/actions/",
    "/plans/DEMO-0005/",
    "/disruptions/",
    "/disruptions/report/",
    "/disruptions/extract/",
    "/disruptions/recording-audit/",
    "/reports/masterlist-extract/",
    "/organisations/",
    "/people/",
]

#: The innermost elements that reach past the screen's right edge (to say what to fix).
WIDEST = """() => {
  const out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    if (clipped(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 2 && ![...el.children].some(
        c => c.getBoundingClientRect().right > window.innerWidth + 2)) {
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${Math.round(box.right)} px)`);
    }
  }
  return out.slice(0, 5);
}"""


def test_phone_navigation_folds_and_pages_fit_the_screen(
    browser, live_server, settings, reference_data
):
    from socmaster.web.demo import DEMO_PASSWORD, load_demo
    from socmaster.web.management.commands.generate import parse_scale

    settings.DEMO_MODE = True
    load_demo(scale=parse_scale("0.01"))
    context = browser.new_context(viewport={"width": WIDTH, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "lro")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    toggle = page.locator(".govuk-service-navigation__toggle")
    menu = page.locator("#navigation")
    toggle.wait_for(state="visible")
    assert toggle.inner_text().strip() == "Menu"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    assert page.locator("#navigation a", has_text="Master list").is_visible()
    toggle.click()
    assert not menu.is_visible()

    too_wide = {}
    for path in SAMPLE:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > WIDTH + 2:
            too_wide[path] = (width, page.evaluate(WIDEST))
    assert not too_wide, f"pages wider than the {WIDTH} px screen: {too_wide}"

    # A wide table scrolls inside its focusable, named region.
    page.goto(f"{live_server.url}/threats/")
    region = page.locator(".sm-scroll[role=region]").first
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    assert page.evaluate(
        "() => { const r = document.querySelector('.sm-scroll'); return r.scrollWidth > r.clientWidth; }"
    )

    # At desktop width the links show and the button stays hidden.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/")
    assert menu.is_visible() and not toggle.is_visible()
    context.close()
