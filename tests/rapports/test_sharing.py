"""The signed link to a report's read-only page: valid, tampered, expired, revoked by losing
access; and the bad input of the report pages (period, empty gisement)."""

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse

from rapports import sharing
from rapports.selectors import Period
from tests.dons.factories import GisementFactory

pytestmark = pytest.mark.django_db


def _share(client, user, gisement, query="", days=30):
    client.force_login(user)
    url = reverse("rapports:gisement_share", args=[gisement.pk]) + query
    response = client.post(url, {"days": days})
    assert response.status_code == 200
    client.logout()
    return response.context["url"]


def test_a_valid_link_opens_the_read_only_page_and_its_files_without_login(
    client, funder_user, scenario
):
    url = _share(client, funder_user, scenario["gisement"], "?du=2026-01-01&au=2026-01-31")
    path = "/" + url.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert page["Referrer-Policy"] == "same-origin"
    text = page.content.decode()
    assert "Renouvellement 2026" in text
    assert "Dons reçus du 01/01/2026 au 31/01/2026" in text
    assert page.context["report"].devices == 14  # the period travels in the link
    token = page.context["token"]
    for fmt in ("pdf", "xlsx", "csv"):
        response = client.get(reverse(f"rapports:shared_{fmt}", args=[token]))
        assert response.status_code == 200, fmt
    # The certificate annex is not shared: no address serves it.
    assert client.get(path.rstrip("/") + "/annexe/").status_code == 404


def test_a_tampered_link_is_a_clear_404(client, funder_user, scenario):
    url = _share(client, funder_user, scenario["gisement"])
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "n-importe-quoi", token[:10]):
        response = client.get(reverse("rapports:shared", args=[bad]))
        assert response.status_code == 404
        assert "n'est pas valable" in response.content.decode()
        assert client.get(reverse("rapports:shared_pdf", args=[bad])).status_code == 404


def test_a_link_signed_for_another_purpose_is_refused(client, scenario, funder_user):
    payload = {"k": "gisement", "p": scenario["gisement"].pk, "d": 30, "u": funder_user.pk}
    foreign = signing.TimestampSigner(salt="filiere.dons.donor-page").sign_object(payload)
    assert client.get(reverse("rapports:shared", args=[foreign])).status_code == 404


def test_an_expired_link_says_so(client, funder_user, scenario, monkeypatch):
    token = sharing.make_token(
        kind="gisement", pk=scenario["gisement"].pk, period=Period(), days=7, user_id=funder_user.pk
    )
    later = dt.datetime.now().timestamp() + 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(reverse("rapports:shared", args=[token]))
    assert response.status_code == 410
    assert "a expiré" in response.content.decode()
    assert client.get(reverse("rapports:shared_csv", args=[token])).status_code == 410


def test_a_link_stops_working_when_its_author_loses_access(client, funder_user, scenario):
    url = _share(client, funder_user, scenario["gisement"])
    path = "/" + url.split("/", 3)[3]
    assert client.get(path).status_code == 200
    funder_user.memberships.all().delete()
    assert client.get(path).status_code == 404


def test_a_funder_cannot_share_what_it_does_not_fund(client, funder_user, scenario):
    client.force_login(funder_user)
    url = reverse("rapports:gisement_share", args=[scenario["elsewhere"].pk])
    assert client.post(url, {"days": 30}).status_code == 404


def test_a_lifetime_not_offered_is_refused_with_a_message(client, funder_user, scenario):
    client.force_login(funder_user)
    url = reverse("rapports:gisement_share", args=[scenario["gisement"].pk])
    response = client.post(url, {"days": 3650}, follow=True)
    assert "Choisissez une durée de validité proposée." in response.content.decode()


# --- bad input on the report pages ----------------------------------------------------------


def test_a_period_that_ends_before_it_starts_gets_a_french_message(client, funder_user, scenario):
    client.force_login(funder_user)
    base = reverse("rapports:gisement", args=[scenario["gisement"].pk])
    response = client.get(base + "?du=2026-03-01&au=2026-01-01")
    assert response.status_code == 400
    assert "La période se termine avant de commencer" in response.content.decode()
    for fmt in ("pdf", "csv", "xlsx", "annexe"):
        url = reverse(f"rapports:gisement_{fmt}", args=[scenario["gisement"].pk])
        response = client.get(url + "?du=2026-03-01&au=2026-01-01")
        assert response.status_code == 400
        assert "La période se termine avant de commencer" in response.content.decode()


def test_an_unreadable_date_gets_a_french_message(client, funder_user, scenario):
    client.force_login(funder_user)
    base = reverse("rapports:gisement", args=[scenario["gisement"].pk])
    response = client.get(base + "?du=31-02-2026")
    assert response.status_code == 400
    assert "Date de début invalide" in response.content.decode()


def test_an_empty_period_says_there_is_nothing_yet(client, funder_user, scenario):
    client.force_login(funder_user)
    base = reverse("rapports:gisement", args=[scenario["gisement"].pk])
    response = client.get(base + "?du=2025-01-01&au=2025-06-30")
    assert response.status_code == 200
    assert (
        "Aucun appareil enregistré pour ce rapport sur cette période" in response.content.decode()
    )
    pdf = client.get(
        reverse("rapports:gisement_pdf", args=[scenario["gisement"].pk])
        + "?du=2025-01-01&au=2025-06-30"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_gisement_with_no_device_yet_renders_in_every_format(client, refurbisher, staff):
    gisement = GisementFactory(refurbisher=refurbisher, name="Gisement tout neuf")
    client.force_login(staff)
    page = client.get(reverse("rapports:gisement", args=[gisement.pk]))
    assert page.status_code == 200
    assert "Aucun appareil enregistré" in page.content.decode()
    for fmt in ("pdf", "csv", "xlsx", "annexe"):
        assert (
            client.get(reverse(f"rapports:gisement_{fmt}", args=[gisement.pk])).status_code == 200
        )


# --- what a shared link shows ------------------------------------------------------------------


def test_a_shared_link_shows_what_the_page_promises_and_nothing_more(client, funder_user, scenario):
    """No device serial, no operator's name, no annex, in the page or any of its files —
    while the same report, logged in, does carry them (so the search is not vacuous)."""
    from parc.models import ErasureRecord

    from .test_gisement_report_exports import body, pdf_text, xlsx_text

    records = ErasureRecord.objects.filter(
        medium__device__donation__gisement=scenario["gisement"]
    ).select_related("medium__device", "operator")
    serials = {r.medium.serial for r in records if r.medium.serial}
    codes = {r.medium.device.public_code for r in records}
    operators = {r.operator.get_full_name() for r in records}
    assert serials and operators  # the scenario has some
    client.force_login(funder_user)
    pk = scenario["gisement"].pk
    logged_in_annex = body(client.get(reverse("rapports:gisement_annexe", args=[pk]))).decode()
    assert all(serial in logged_in_annex for serial in serials)
    url = _share(client, funder_user, scenario["gisement"])
    path = "/" + url.split("/", 3)[3]
    page = client.get(path)
    token = page.context["token"]
    texts = {
        "page": page.content.decode(),
        "pdf": pdf_text(client.get(reverse("rapports:shared_pdf", args=[token])).content),
        "xlsx": xlsx_text(client.get(reverse("rapports:shared_xlsx", args=[token])).content),
        "csv": body(client.get(reverse("rapports:shared_csv", args=[token]))).decode(),
    }
    assert "aucune donnée personnelle" in texts["page"]
    assert "annexe des certificats" in texts["page"]
    assert "Annexe des effacements (CSV)" not in texts["page"]
    for name, text in texts.items():
        assert "Banque du Centre" in text, name  # the report is there
        for needle in serials | codes | operators:
            assert needle not in text, f"{needle!r} in the shared {name}"
    assert "Annexe effacements" not in texts["xlsx"]
    assert "réservée aux personnes connectées" in texts["pdf"]


def test_the_donors_own_link_shows_counts_only(client, staff, scenario):
    """The donor's follow-up page (dons signed link) promises progress by counts and no
    personal data: no serial, no code, no name of a person."""
    from dons.signing import make_token
    from parc.models import ErasureRecord

    donation = scenario["gisement"].donations.order_by("pk").first()
    records = ErasureRecord.objects.filter(medium__device__donation=donation).select_related(
        "medium__device", "operator"
    )
    text = client.get(reverse("www:donor_page", args=[make_token(donation)])).content.decode()
    assert "Ce que deviennent les appareils" in text and "aucune donnée personnelle" in text
    for record in records:
        for needle in (record.medium.serial, record.medium.device.public_code):
            if needle:
                assert needle not in text
        assert record.operator.last_name not in text
