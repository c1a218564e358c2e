"""The link chart in a real headless Chromium: cytoscape draws the threat's neighbourhood with no
script errors (under the page's Content-Security-Policy), "Expand" fetches a capped node's
further ties, and the threat page's network panel loads with its one-click "Add as member"."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ring(make_user):
    from socmaster.network.models import Association
    from socmaster.organisations.models import Organisation
    from socmaster.threats.models import Nominal, Threat, ThreatMember

    durham = Organisation.objects.get(key="force-durham")
    lro = make_user("force-durham", "lro", "analyst", username="chart-lro")
    threat = Threat.objects.create(
        reference="NET-B1", name="Synthetic browser ring", owner=durham, handling="region", lro=lro
    )
    members = [
        Nominal.objects.create(reference=f"NOM-B1-{i}", family_name=f"Ring{i}", owner=durham)
        for i in range(30)
    ]
    for m in members:
        ThreatMember.objects.create(threat=threat, nominal=m, role="significant")
    for i, m in enumerate(members):
        Association.objects.create(nominal=m, other=members[(i + 1) % len(members)])
    outsider = Nominal.objects.create(reference="NOM-B1-99", family_name="Outside", owner=durham)
    for m in members[:3]:
        Association.objects.create(nominal=outsider, other=m, kind="co_offender")
    return lro, threat, outsider


def test_the_link_chart_draws_expands_and_the_panel_adds_a_member(
    browser, live_server, sign_in, ring
):
    from socmaster.threats.models import ThreatMember

    lro, threat, outsider = ring
    page = sign_in(browser, lro.username)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    page.goto(f"{live_server.url}/network/chart/threat/{threat.reference}/?steps=1")
    page.wait_for_selector("#network-chart[data-ready=true]")
    # 30 members, at most 25 shown for the threat: the chart says how many more, with a button.
    shown = int(page.get_attribute("#network-chart", "data-nodes"))
    assert shown == 26  # the threat and 25 members
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll('#network-chart canvas')).some(c => {
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; })"""
    )
    assert drawn
    button = page.locator("#network-expand button").first
    assert "(5 more)" in button.inner_text()
    button.click()
    page.wait_for_function("() => window.socmasterChart.nodes().length > 26")
    assert page.evaluate("() => window.socmasterChart.nodes().length") == 31
    # The same nodes as a table (the text alternative).
    assert page.locator("[data-testid=chart-nodes] tbody tr").count() == 26

    page.goto(f"{live_server.url}/threats/{threat.reference}/")
    page.wait_for_selector("[data-testid=threat-network]")
    row = page.locator(f"[data-testid=hidden-member]:has-text('{outsider.reference}')")
    row.locator("button:has-text('Add as member')").click()
    page.wait_for_url(f"{live_server.url}/threats/{threat.reference}/")
    # The page loads its network panel again after the redirect: let that request finish, so
    # that the live server is not still reading when the test database is emptied.
    page.wait_for_selector("[data-testid=threat-network]")
    page.wait_for_load_state("networkidle")
    assert ThreatMember.objects.filter(threat=threat, nominal=outsider).exists()
    assert errors == []
    page.close()
