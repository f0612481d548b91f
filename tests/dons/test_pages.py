"""Gisement and donation pages: what each role sees, scoping (404 by URL and by forged POST),
forms' bad input in French, documents."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from acteurs.models import Organisation
from dons.models import Convention, Donation, Gisement
from tests.dons.factories import ConventionFactory, DonationFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- reading -----------------------------------------------------------------------------------


def test_staff_sees_the_list_the_page_and_the_donation(client, staff, gisement):
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    listing = client.get(reverse("dons:gisements"))
    assert listing.status_code == 200
    assert gisement.name in listing.content.decode()
    assert "Chiffres de la feuille de route" in listing.content.decode()
    page = client.get(reverse("www:gisement", args=[gisement.pk]))
    assert page.status_code == 200
    assert "Annoncer un don" in page.content.decode()
    detail = client.get(reverse("www:donation", args=[donation.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Enregistrer un appareil pour ce don" in body
    assert f"?don={donation.pk}" in body
    assert [a["info"].name for a in detail.context["actions"]] == ["collect", "receive", "cancel"]


def test_technician_reads_but_has_no_action(client, technician, gisement):
    donation = DonationFactory(gisement=gisement, state="collected")
    client.force_login(technician)
    assert client.get(reverse("dons:gisements")).status_code == 200
    response = client.get(reverse("www:donation", args=[donation.pk]))
    assert response.status_code == 200
    assert response.context["actions"] == []
    assert "Enregistrer un appareil pour ce don" in response.content.decode()
    assert client.get(reverse("dons:gisement_create")).status_code == 403
    assert client.get(reverse("dons:donation_create", args=[gisement.pk])).status_code == 403


def test_technician_forging_a_transition_is_refused(client, technician, gisement):
    donation = DonationFactory(gisement=gisement, state="collected")
    client.force_login(technician)
    response = client.post(
        reverse("www:donation_transition", args=[donation.pk, "receive"]),
        {"receive-expected_state": "collected", "receive-received_on": "2025-01-02"},
        follow=True,
    )
    assert any("Seules l'équipe" in m for m in _messages(response))
    donation.refresh_from_db()
    assert donation.state == "collected"


def test_prescriber_has_no_gisement_page(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("dons:gisements")).status_code == 403


@pytest.mark.parametrize(
    ("role", "shown"),
    [("staff", True), ("technician", True), ("coordinator", True), ("prescriber", False)],
)
def test_the_menu_shows_donations_only_to_those_who_may_open_them(
    request, client, gisement, role, shown
):
    """No menu entry that ends on a refusal: a prescriber sees no "Dons" link."""
    client.force_login(request.getfixturevalue(role))
    body = client.get(reverse("ateliers:sessions")).content.decode()
    nav = body[body.index('aria-label="Navigation principale"') : body.index("</nav>")]
    assert (f'href="{reverse("dons:gisements")}"' in nav) is shown


def test_coordinator_sees_every_organisation(client, coordinator, gisement, other_gisement):
    client.force_login(coordinator)
    body = client.get(reverse("dons:gisements")).content.decode()
    assert gisement.name in body
    assert "Gisement d&#x27;ailleurs" in body
    assert client.get(reverse("www:gisement", args=[other_gisement.pk])).status_code == 200


def test_anonymous_is_sent_to_login(client, gisement):
    response = client.get(reverse("dons:gisements"))
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]


# --- scoping: another organisation's rows are 404, by URL and by forged POST --------------------


def test_other_organisation_is_invisible(client, staff, gisement, other_gisement):
    other_donation = DonationFactory(gisement=other_gisement, state="received")
    other_convention = ConventionFactory(gisement=other_gisement)
    client.force_login(staff)
    listing = client.get(reverse("dons:gisements")).content.decode()
    assert "ailleurs" not in listing
    for url in [
        reverse("www:gisement", args=[other_gisement.pk]),
        reverse("dons:gisement_edit", args=[other_gisement.pk]),
        reverse("dons:convention_create", args=[other_gisement.pk]),
        reverse("dons:convention_edit", args=[other_convention.pk]),
        reverse("dons:donation_create", args=[other_gisement.pk]),
        reverse("www:donation", args=[other_donation.pk]),
        reverse("dons:donation_edit", args=[other_donation.pk]),
        reverse("www:donation_receipt", args=[other_donation.pk]),
    ]:
        assert client.get(url).status_code == 404, url


def test_forged_posts_on_another_organisation_are_404(client, staff, other_gisement):
    other_donation = DonationFactory(gisement=other_gisement)
    client.force_login(staff)
    posts = [
        (
            reverse("www:donation_transition", args=[other_donation.pk, "collect"]),
            {"collect-expected_state": "announced"},
        ),
        (
            reverse("www:donation_transition", args=[other_donation.pk, "cancel"]),
            {"cancel-expected_state": "announced", "cancel-note": "x"},
        ),
        (reverse("dons:donation_edit", args=[other_donation.pk]), {"qty_laptop": "1"}),
        (reverse("www:donor_link", args=[other_donation.pk]), {}),
        (reverse("dons:donor_link_revoke", args=[other_donation.pk]), {}),
        (reverse("dons:donation_create", args=[other_gisement.pk]), {"qty_laptop": "3"}),
        (reverse("dons:gisement_edit", args=[other_gisement.pk]), {"name": "Piraté"}),
        (
            reverse("www:donation_document_add", args=[other_donation.pk]),
            {"kind": "other", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    other_donation.refresh_from_db()
    assert other_donation.state == "announced"
    assert not other_donation.events.exists()
    assert Donation.objects.filter(gisement=other_gisement).count() == 1
    other_gisement.refresh_from_db()
    assert other_gisement.name == "Gisement d'ailleurs"


def test_unknown_action_is_404(client, staff, gisement):
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    url = reverse("www:donation_transition", args=[donation.pk, "delete"])
    assert client.post(url, {}).status_code == 404


# --- creating and editing ------------------------------------------------------------------------


def _gisement_data(**overrides):
    data = {
        "donor_kind": "collectivite",
        "name": "Mairie – parc des écoles",
        "address": "Place de l'Hôtel de Ville",
        "frequency": "recurrent",
        "expected_volume_per_year": "60",
    }
    data.update(overrides)
    return data


def test_create_a_gisement_with_a_new_donor(client, staff, refurbisher):
    client.force_login(staff)
    response = client.post(
        reverse("dons:gisement_create"),
        _gisement_data(refurbisher=refurbisher.pk, new_donor_name="Ville de Dreux"),
    )
    gisement = Gisement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("www:gisement", args=[gisement.pk])
    assert gisement.donor.name == "Ville de Dreux"
    assert gisement.donor.is_donor
    assert gisement.refurbisher == refurbisher
    assert gisement.is_public_donor


def test_create_a_gisement_for_an_existing_donor(client, staff, refurbisher, donor):
    client.force_login(staff)
    client.post(
        reverse("dons:gisement_create"),
        _gisement_data(refurbisher=refurbisher.pk, donor=donor.pk, donor_kind="entreprise"),
    )
    assert Gisement.objects.get().donor == donor
    assert Organisation.objects.filter(is_donor=True).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "donor", "Choisissez le donateur"),
        ({"new_donor_name": "X", "donor": "__donor__"}, "new_donor_name", "pas les deux"),
        (
            {"new_donor_name": "X", "contact_email": "pas-un-courriel"},
            "contact_email",
            "adresse de courriel valide",
        ),
        ({"new_donor_name": "X", "new_donor_siret": "123"}, "new_donor_siret", "14 chiffres"),
        ({"new_donor_name": "X", "donor_kind": "martien"}, "donor_kind", "choix valide"),
        (
            {"new_donor_name": "X", "expected_volume_per_year": "-4"},
            "expected_volume_per_year",
            "supérieure ou égale à 0",
        ),
        ({"new_donor_name": "X", "contact_phone": "abc"}, "contact_phone", "téléphone"),
        ({"new_donor_name": "X", "name": ""}, "name", "obligatoire"),
    ],
)
def test_gisement_form_bad_input_in_french(
    client, staff, refurbisher, donor, overrides, field, message
):
    if overrides.get("donor") == "__donor__":
        overrides["donor"] = donor.pk
    client.force_login(staff)
    data = _gisement_data(refurbisher=refurbisher.pk, **overrides)
    response = client.post(reverse("dons:gisement_create"), data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert not Gisement.objects.exists()


def test_edit_a_gisement(client, staff, gisement):
    client.force_login(staff)
    response = client.post(
        reverse("dons:gisement_edit", args=[gisement.pk]),
        _gisement_data(donor=gisement.donor_id, name="Nouveau nom"),
    )
    assert response.status_code == 302
    gisement.refresh_from_db()
    assert gisement.name == "Nouveau nom"


def test_convention_create_and_edit(client, staff, gisement):
    client.force_login(staff)
    url = reverse("dons:convention_create", args=[gisement.pk])
    document = SimpleUploadedFile("convention.pdf", b"%PDF-1.4 test", "application/pdf")
    response = client.post(
        url,
        {
            "status": "signed",
            "signed_on": "2025-03-14",
            "expires_on": "2027-03-13",
            "document": document,
        },
    )
    assert response.status_code == 302
    convention = Convention.objects.get()
    assert convention.signed_on == dt.date(2025, 3, 14)
    assert convention.document
    download = client.get(reverse("dons:convention_document", args=[convention.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    client.post(
        reverse("dons:convention_edit", args=[convention.pk]),
        {"status": "terminated", "signed_on": "2025-03-14", "expires_on": "2027-03-13"},
    )
    convention.refresh_from_db()
    assert convention.status == "terminated"
    assert convention.document  # kept when no new file is sent


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": "signed"}, "signed_on", "Indiquez la date de signature"),
        (
            {"status": "signed", "signed_on": "2025-03-14", "expires_on": "2024-01-01"},
            "expires_on",
            "doit suivre",
        ),
        ({"status": "signed", "signed_on": "2999-01-01"}, "signed_on", "futur"),
        ({"status": "draft", "signed_on": "14/03/2025x"}, "signed_on", "date valide"),
        (
            {
                "status": "signed",
                "signed_on": "2025-03-14",
                "document": SimpleUploadedFile("virus.exe", b"MZ"),
            },
            "document",
            "extension",
        ),
    ],
)
def test_convention_form_bad_input_in_french(client, staff, gisement, data, field, message):
    client.force_login(staff)
    response = client.post(reverse("dons:convention_create", args=[gisement.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Convention.objects.exists()


def test_donation_create_and_edit(client, staff, gisement):
    client.force_login(staff)
    response = client.post(
        reverse("dons:donation_create", args=[gisement.pk]),
        {
            "qty_laptop": "40",
            "qty_screen": "12",
            "qty_tablet": "0",
            "donor_reference": "L-77",
            "stated_value": "2400.00",
            "pickup_date": "2025-06-02",
        },
    )
    donation = Donation.objects.get()
    assert response["Location"] == reverse("www:donation", args=[donation.pk])
    assert dict(donation.lines.values_list("kind", "quantity")) == {"laptop": 40, "screen": 12}
    assert donation.stated_value == Decimal("2400.00")
    client.post(
        reverse("dons:donation_edit", args=[donation.pk]),
        {"qty_laptop": "38", "donor_reference": "L-77"},
    )
    assert dict(donation.lines.values_list("kind", "quantity")) == {"laptop": 38}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"qty_laptop": "-3"}, "qty_laptop", "supérieure ou égale à 0"),
        ({"qty_laptop": "beaucoup"}, "qty_laptop", "nombre entier"),
        ({"qty_laptop": "1000001"}, "qty_laptop", "inférieure ou égale"),
        ({"stated_value": "-1"}, "stated_value", "supérieure ou égale à 0"),
        ({"received_weight_kg": "12,345"}, "received_weight_kg", "2 chiffres après la virgule"),
        ({"pickup_date": "demain"}, "pickup_date", "date valide"),
    ],
)
def test_donation_form_bad_input_in_french(client, staff, gisement, data, field, message):
    client.force_login(staff)
    response = client.post(reverse("dons:donation_create", args=[gisement.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Donation.objects.exists()


# --- actions as buttons --------------------------------------------------------------------------


def test_receive_from_the_page(client, staff, gisement):
    donation = DonationFactory(gisement=gisement, state="collected")
    client.force_login(staff)
    today = timezone.localdate()
    response = client.post(
        reverse("www:donation_transition", args=[donation.pk, "receive"]),
        {
            "receive-expected_state": "collected",
            "receive-received_on": today.isoformat(),
            "receive-weight_kg": "84,5",
        },
        follow=True,
    )
    assert any("Réceptionné" in m for m in _messages(response))
    donation.refresh_from_db()
    assert donation.state == "received"
    assert donation.received_on == today
    assert donation.received_weight_kg == Decimal("84.5")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("receive", {"receive-expected_state": "collected"}, "obligatoire"),
        (
            "receive",
            {"receive-expected_state": "collected", "receive-received_on": "2999-01-01"},
            "futur",
        ),
        (
            "receive",
            {
                "receive-expected_state": "collected",
                "receive-received_on": "2025-01-01",
                "receive-weight_kg": "-2",
            },
            "supérieure ou égale à 0",
        ),
        ("cancel", {"cancel-expected_state": "collected"}, "pourquoi"),
    ],
)
def test_action_form_bad_input_in_french(client, staff, gisement, name, data, message):
    donation = DonationFactory(gisement=gisement, state="collected")
    client.force_login(staff)
    response = client.post(reverse("www:donation_transition", args=[donation.pk, name]), data)
    assert response.status_code == 400
    bound = next(a["form"] for a in response.context["actions"] if a["info"].name == name)
    assert message in " ".join(e for errors in bound.errors.values() for e in errors)
    donation.refresh_from_db()
    assert donation.state == "collected"


def test_stale_page_is_told_the_donation_changed(client, staff, gisement):
    donation = DonationFactory(gisement=gisement, state="received")
    client.force_login(staff)
    response = client.post(
        reverse("www:donation_transition", args=[donation.pk, "collect"]),
        {"collect-expected_state": "announced"},
        follow=True,
    )
    assert any("changé entre-temps" in m for m in _messages(response))


# --- documents ----------------------------------------------------------------------------------


def test_attach_and_download_a_document(client, staff, technician, gisement):
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    upload = SimpleUploadedFile("liste.csv", b"Marque;Modele\nDell;E5470\n", "text/csv")
    response = client.post(
        reverse("www:donation_document_add", args=[donation.pk]),
        {"kind": "donor_list", "title": "Liste du donateur", "file": upload},
    )
    assert response.status_code == 302
    document = donation.documents.get()
    assert donation.events.get().action == "document"
    client.force_login(technician)  # a technician of the organisation may read it
    download = client.get(reverse("dons:document", args=[donation.pk, document.pk]))
    assert b"".join(download.streaming_content).startswith(b"Marque;Modele")


def test_document_of_another_donation_is_404(client, staff, gisement, other_gisement):
    other = DonationFactory(gisement=other_gisement)
    from dons.models import DonationDocument

    document = DonationDocument.objects.create(
        donation=other, kind="other", file=SimpleUploadedFile("x.pdf", b"%PDF")
    )
    mine = DonationFactory(gisement=gisement)
    client.force_login(staff)
    assert client.get(reverse("dons:document", args=[mine.pk, document.pk])).status_code == 404
    assert client.get(reverse("dons:document", args=[other.pk, document.pk])).status_code == 404


def test_document_bad_file_is_refused_in_french(client, staff, gisement):
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    response = client.post(
        reverse("www:donation_document_add", args=[donation.pk]),
        {"kind": "donor_list", "file": SimpleUploadedFile("macro.xlsm", b"PK")},
    )
    assert response.status_code == 400
    assert "extension" in " ".join(response.context["document_form"].errors["file"])
    assert not donation.documents.exists()


def test_devices_of_the_donation_are_listed(client, staff, gisement):
    donation = DonationFactory(gisement=gisement, state="received")
    device = DeviceFactory(owner=gisement.refurbisher, donation=donation, serial="5CG7301XYZ")
    DeviceFactory(owner=gisement.refurbisher)  # not of this donation
    client.force_login(staff)
    response = client.get(reverse("www:donation", args=[donation.pk]))
    assert [d.pk for d in response.context["page"].object_list] == [device.pk]
    assert "5CG7301XYZ" in response.content.decode()


def test_the_donation_page_leads_to_the_import_of_the_donors_list(
    client, staff, technician, gisement
):
    donation = DonationFactory(gisement=gisement, state="received")
    url = f"{reverse('intake:start')}?don={donation.pk}"
    client.force_login(staff)
    page = client.get(reverse("www:donation", args=[donation.pk])).content.decode()
    assert f'href="{url}"' in page
    start = client.get(url)
    assert start.status_code == 200
    assert start.context["form"]["donation"].value() == donation.pk
    # Technicians register devices one by one but do not import lists.
    client.force_login(technician)
    page = client.get(reverse("www:donation", args=[donation.pk])).content.decode()
    assert "Enregistrer un appareil pour ce don" in page and url not in page
    # A sorted (closed) donation takes no more devices.
    closed = DonationFactory(gisement=gisement, state="sorted")
    client.force_login(staff)
    page = client.get(reverse("www:donation", args=[closed.pk])).content.decode()
    assert f"{reverse('intake:start')}?don={closed.pk}" not in page
