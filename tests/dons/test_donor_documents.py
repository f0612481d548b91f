"""The attestation de don (PDF) and the donor's signed, expiring link."""

import io
import re
from decimal import Decimal
from unittest import mock

import pypdfium2 as pdfium
import pytest
from django.core import signing as django_signing
from django.urls import reverse
from django.utils import timezone

from dons import services, signing
from tests.dons.factories import DonationFactory, DonationLineFactory, GisementFactory
from tests.parc.factories import DeviceFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def pdf_text(content: bytes) -> str:
    pdf = pdfium.PdfDocument(io.BytesIO(content))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def received(gisement, refurbisher):
    refurbisher.siret = "35600000000048"  # La Poste rule: digit sum divisible by 5
    refurbisher.save()
    donation = DonationFactory(
        gisement=gisement,
        state="received",
        received_on=timezone.localdate(),
        received_weight_kg=Decimal("182.50"),
        stated_value=Decimal("1500.00"),
        donor_reference="BDC-2025-07",
    )
    DonationLineFactory(donation=donation, kind="laptop", quantity=3)
    DonationLineFactory(donation=donation, kind="screen", quantity=2)
    DeviceFactory(
        owner=refurbisher,
        donation=donation,
        kind="laptop",
        brand="Dell",
        model="Latitude 5490",
        serial="5CG7301AAA",
    )
    DeviceFactory(
        owner=refurbisher,
        donation=donation,
        kind="laptop",
        brand="Dell",
        model="Latitude 5490",
        serial="5CG7301BBB",
        state="wiped",
    )
    DeviceFactory(
        owner=refurbisher,
        donation=donation,
        kind="screen",
        brand="Iiyama",
        model="ProLite",
        serial="11XYZ",
        state="recycled",
    )
    return donation


# --- the attestation ----------------------------------------------------------------------------


def test_receipt_lists_what_was_received(client, staff, received, refurbisher):
    client.force_login(staff)
    response = client.get(reverse("www:donation_receipt", args=[received.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Attestation de don" in text
    assert f"Don n° {received.pk}" in text
    # the association, with its SIRET; the donor, with theirs
    assert "Recyclerie test" in text and "SIRET 35600000000048" in text
    assert "Banque du Centre" in text and "SIRET 73282932000074" in text
    # by kind, with serials
    assert "Ordinateur portable (2)" in text and "Écran (1)" in text
    for serial in ("5CG7301AAA", "5CG7301BBB", "11XYZ"):
        assert serial in text
    assert "182,50 kg" in text
    assert "1 500,00 €" in text
    assert "BDC-2025-07" in text
    assert "ne constitue pas un reçu fiscal" in text
    assert "date et signature" in text
    # no personal data of the contact person
    assert "Durand" not in text


def test_receipt_waits_for_reception(client, staff, gisement):
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    response = client.get(reverse("www:donation_receipt", args=[donation.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("www:donation", args=[donation.pk])
    assert any("réceptionné" in str(m) for m in response.context["messages"])


def test_technician_may_print_the_receipt(client, technician, received):
    client.force_login(technician)
    assert client.get(reverse("www:donation_receipt", args=[received.pk])).status_code == 200


# --- the donor's link ---------------------------------------------------------------------------


def _link(client, staff, donation) -> str:
    client.force_login(staff)
    response = client.post(reverse("www:donor_link", args=[donation.pk]))
    assert response.status_code == 200
    client.logout()
    url = response.context["url"]
    return url.removeprefix("http://localhost:8000")


def test_staff_generates_a_link_that_shows_progress_without_personal_data(client, staff, received):
    path = _link(client, staff, received)
    assert received.events.filter(action="share_link").exists()
    response = client.get(path)  # anonymous
    assert response.status_code == 200
    body = response.content.decode()
    buckets = {b["code"]: b["count"] for b in response.context["progress"].buckets}
    assert buckets["received"] == 1 and buckets["erased"] == 1 and buckets["recycled"] == 1
    assert response.context["progress"].total == 3
    assert "Banque du Centre" in body
    for private in ("5CG7301AAA", "Durand", "durand@banque.example", "FIL-", "BDC-2025-07x"):
        assert private not in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_private_donor_is_not_named(client, staff, refurbisher):
    gisement = GisementFactory(
        refurbisher=refurbisher, donor_kind="particulier", donor__name="Particulier – M. Martin"
    )
    donation = DonationFactory(gisement=gisement, state="received")
    path = _link(client, staff, donation)
    body = client.get(path).content.decode()
    assert "Martin" not in body


def test_link_expires(client, staff, received, settings):
    settings.DONS_DONOR_LINK_MAX_AGE_DAYS = 90
    path = _link(client, staff, received)
    now = timezone.now().timestamp()
    with mock.patch("django.core.signing.time.time", return_value=now + 89 * 86400):
        assert client.get(path).status_code == 200
    with mock.patch("django.core.signing.time.time", return_value=now + 91 * 86400):
        response = client.get(path)
    assert response.status_code == 410
    assert "Ce lien de suivi a expiré" in response.content.decode()


def test_link_max_age_is_configurable(client, staff, received, settings):
    settings.DONS_DONOR_LINK_MAX_AGE_DAYS = 7
    path = _link(client, staff, received)
    now = timezone.now().timestamp()
    with mock.patch("django.core.signing.time.time", return_value=now + 8 * 86400):
        assert client.get(path).status_code == 410


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: ("1" if t[0] == "0" else "0") + t[1:],  # value (always a different one)
        lambda t: t.split(":")[0],  # no timestamp, no signature
        lambda t: "n'importe-quoi",
        lambda t: t + ":x",
    ],
)
def test_tampered_link_is_404_in_french(client, staff, received, tamper):
    token = signing.make_token(received)
    response = client.get(reverse("www:donor_page", args=[tamper(token)]))
    assert response.status_code == 404
    assert "n'est pas valable" in response.content.decode()


def test_token_of_another_salt_is_refused(client, received):
    token = django_signing.TimestampSigner().sign(received.share_key.hex)
    assert client.get(reverse("www:donor_page", args=[token])).status_code == 404


def test_revoked_links_stop_working(client, staff, received):
    path = _link(client, staff, received)
    services.donation_share_link_revoke(received.pk, staff)
    assert client.get(path).status_code == 404
    assert received.events.filter(action="revoke_links").exists()


def test_only_staff_generate_links(client, technician, received):
    client.force_login(technician)
    response = client.post(reverse("www:donor_link", args=[received.pk]), follow=True)
    assert "url" not in response.context or response.context.get("url") is None
    assert any("Seules l'équipe" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    ("state", "dates", "sentence"),
    [
        ("announced", {}, "Votre don est annoncé : l'atelier ne l'a pas encore collecté."),
        (
            "collected",
            {"pickup_date": "2025-03-04"},
            "Votre don a été collecté le 04/03/2025 ; il n'est pas encore arrivé à l'atelier.",
        ),
        (
            "received",
            {"pickup_date": "2025-03-04", "received_on": "2025-03-06"},
            "Votre don est arrivé à l'atelier le 06/03/2025 ; ses appareils sont en cours de tri.",
        ),
        (
            "sorted",
            {"received_on": "2025-03-06"},
            "Votre don est arrivé à l'atelier le 06/03/2025 et son tri est terminé.",
        ),
        ("cancelled", {}, "Ce don a été annulé."),
    ],
)
def test_the_donor_reads_one_natural_sentence_per_state(
    client, staff, gisement, state, dates, sentence
):
    donation = DonationFactory(gisement=gisement, state=state, **dates)
    path = _link(client, staff, donation)
    client.logout()
    body = client.get(path).content.decode()
    status = re.search(r'<p class="donation-status">(.*?)</p>', body, re.S).group(1)
    assert " ".join(status.split()).replace("&#x27;", "'") == sentence
    assert "Réceptionné réceptionné" not in body
    assert "Trié (clos)" not in body
