"""The report's two forms, submitted by Chromium: « Créer le lien » and « Préparer le PDF avec
l'annexe complète ».

The Django test client sends no ``Origin`` header, so it cannot see what broke them: the
report pages answered with ``Referrer-Policy: no-referrer``, with which Chromium sends
``Origin: null`` on the page's own POST, and the CSRF check answered 403. A real browser is
the judge here.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from rapports import exports
from rapports.models import Funding, ReportJob
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

from .test_forms_and_report_phone import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def funded_report(transactional_db):
    refurbisher = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    gisement = GisementFactory(refurbisher=refurbisher, name="Parc des agences 2026")
    donation = DonationFactory(
        gisement=gisement, state="received", received_on=dt.date(2026, 1, 10)
    )
    for state in ("triage", "ready", "on_loan", "recycled"):
        device = DeviceFactory(owner=refurbisher, donation=donation, state=state)
        ErasureRecordFactory(medium=StorageMediumFactory(device=device))
    funder = OrganisationFactory(name="Fondation Numérique", short_name="FN", is_funder=True)
    user = UserFactory(username="bernard", first_name="Bernard")
    MembershipFactory(user=user, organisation=funder, role="funder")
    Funding.objects.create(funder=funder, name="Appel à projets", gisement=gisement)
    return gisement, user


def _post_statuses(page) -> list[tuple[str, int]]:
    statuses = []
    page.on(
        "response",
        lambda response: (
            statuses.append((response.url, response.status))
            if response.request.method == "POST"
            else None
        ),
    )
    return statuses


@pytest.mark.submits("rapports:gisement_share")
def test_the_share_link_is_created_in_chromium(live_server, page, funded_report, axe_check):
    gisement, _user = funded_report
    statuses = _post_statuses(page)
    log_in(page, live_server, "bernard")
    response = page.goto(f"{live_server.url}/rapports/gisement/{gisement.pk}/")
    # The token-free report page still keeps its address from other sites.
    assert response.headers["referrer-policy"] == "same-origin"

    page.get_by_role("button", name="Créer le lien").click()
    page.wait_for_load_state()
    assert [status for url, status in statuses if "/partager/" in url] == [200]
    expect(page.get_by_role("heading", name="Lien de partage créé")).to_be_visible()
    url = page.get_by_label("Adresse à transmettre").input_value()
    assert "/rapports/partage/" in url
    axe_check(page, "share link created")

    # The link opens without an account, and the shared page still sends no referrer away.
    anonymous = page.context.browser.new_context()
    try:
        shared = anonymous.new_page()
        path = "/" + url.split("/", 3)[3]
        answer = shared.goto(f"{live_server.url}{path}")
        assert answer.status == 200
        assert answer.headers["referrer-policy"] == "same-origin"
        expect(shared.get_by_text("Parc des agences 2026").first).to_be_visible()
    finally:
        anonymous.close()


@pytest.mark.submits("rapports:gisement_job")
def test_the_full_annex_pdf_is_asked_for_in_chromium(live_server, page, funded_report, monkeypatch):
    gisement, user = funded_report
    # Four erasures: the immediate PDF is made to hold fewer, so the page offers the full one.
    monkeypatch.setattr(exports, "PDF_ANNEX_LIMIT", 2)
    # Asked for, not built: the eager worker would lay out the PDF inside the request.
    monkeypatch.setattr(ReportJob, "enqueue", lambda job: None)
    statuses = _post_statuses(page)
    log_in(page, live_server, "bernard")
    page.goto(f"{live_server.url}/rapports/gisement/{gisement.pk}/")
    page.get_by_role("button", name="Préparer le PDF avec l'annexe complète").click()
    page.wait_for_load_state()
    assert [status for url, status in statuses if "/complet/" in url] == [302]
    expect(page).to_have_url(re.compile(r"/rapports/travaux/\d+/$"))
    assert ReportJob.objects.filter(requested_by=user).count() == 1
