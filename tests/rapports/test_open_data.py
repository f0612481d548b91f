"""Open data for the departmental observatory: aggregated devices per quarter, territory,
kind and outcome; counts under 5 suppressed; scoped like the reports; no personal data."""

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from rapports.selectors import small
from tests.acteurs.factories import (
    CommuneFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def observatory(db, refurbisher):
    """Coordination user; a gisement in Chartres with 5 ready and 4 recycled laptops received
    in February 2026, 6 screens received in April; another gisement without a commune."""
    organisation = OrganisationFactory(name="Département", short_name="DEP", is_coordinator=True)
    user = UserFactory(username="observatoire")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    chartres = CommuneFactory(insee_code="28085", name="Chartres")
    gisement = GisementFactory(refurbisher=refurbisher, commune=chartres, name="Mairie")
    february = DonationFactory(gisement=gisement, received_on=dt.date(2026, 2, 10))
    april = DonationFactory(gisement=gisement, received_on=dt.date(2026, 4, 2))
    for state, count in (("ready", 5), ("recycled", 4)):
        for _ in range(count):
            DeviceFactory(owner=refurbisher, donation=february, state=state)
    for _ in range(6):
        DeviceFactory(owner=refurbisher, donation=april, kind="screen", state="triage")
    nowhere = GisementFactory(refurbisher=refurbisher, commune=None, name="Sans commune")
    DeviceFactory(
        owner=refurbisher,
        donation=DonationFactory(gisement=nowhere, received_on=dt.date(2026, 2, 1)),
    )
    return user


def test_small_count_rule():
    assert [small(n) for n in (0, 1, 4, 5, 12)] == [0, "< 5", "< 5", 5, 12]


def test_json_rows_per_quarter_commune_kind_and_outcome(client, observatory):
    client.force_login(observatory)
    data = json.loads(client.get(reverse("rapports:open_data_json")).content)
    rows = {
        (r["trimestre"], r["commune_insee"], r["type_appareil"], r["devenir"]): r
        for r in data["donnees"]
    }
    ready = rows[("2026-T1", "28085", "laptop", "ready")]
    assert (ready["appareils"], ready["secret_statistique"], ready["commune"]) == (
        5,
        False,
        "Chartres",
    )
    assert ready["departement"] == "28"
    recycled = rows[("2026-T1", "28085", "laptop", "recycled")]
    assert (recycled["appareils"], recycled["secret_statistique"]) == (None, True)  # 4: suppressed
    screens = rows[("2026-T2", "28085", "screen", "in_progress")]
    assert screens["appareils"] == 6
    unknown = rows[("2026-T1", "", "laptop", "in_progress")]
    assert unknown["secret_statistique"] is True
    assert len(rows) == 4
    assert data["licence"].startswith("Licence Ouverte")


def test_csv_has_the_documented_header_and_no_suppressed_value(client, observatory):
    client.force_login(observatory)
    response = client.get(reverse("rapports:open_data_csv"))
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "trimestre",
        "departement",
        "epci_siren",
        "epci",
        "commune_insee",
        "commune",
        "type_appareil",
        "devenir",
        "appareils",
        "secret_statistique",
    ]
    assert {row["appareils"] for row in rows if row["secret_statistique"] == "oui"} == {""}
    assert sorted(row["appareils"] for row in rows if row["secret_statistique"] == "non") == [
        "5",
        "6",
    ]


def test_the_documentation_page_links_both_files(client, observatory):
    client.force_login(observatory)
    page = client.get(reverse("rapports:open_data")).content.decode()
    assert reverse("rapports:open_data_csv") in page and reverse("rapports:open_data_json") in page


def test_a_funder_gets_only_what_it_funds(client, observatory, funder_user, scenario):
    """The scenario's gisement has no commune; the observatory's « Mairie » is in Chartres."""
    client.force_login(funder_user)
    data = json.loads(client.get(reverse("rapports:open_data_json")).content)
    assert data["donnees"]
    assert {row["commune_insee"] for row in data["donnees"]} == {""}
    in_progress = [r for r in data["donnees"] if r["type_appareil"] == "desktop"]
    assert {r["trimestre"] for r in in_progress} == {"2026-T1"}
