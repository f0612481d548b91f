"""Repairs: pool devices join their history, outside items in ORDS categories, CO2e averted
(Restart Project method), the ORDS export and a first import of another café's file (the
import itself: tests/ateliers/test_ords_import.py; the real files: test_ords_samples.py)."""

import csv
import html
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import impact, ords, services
from ateliers.models import Repair
from ateliers.selectors import repair_totals
from core.errors import ApplicationError
from parc.codes import check_symbol
from parc.models import DeviceEvent
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.ords import import_file, upload
from tests.parc.factories import DeviceFactory

from .conftest import workshop_type

pytestmark = pytest.mark.django_db

HEADER = ",".join(ords.COLUMNS)


def record(session, actor, **fields):
    fields.setdefault("status", "Fixed")
    return services.repair_record(session.pk, actor=actor, **fields)


def mistype(code: str) -> str:
    """The same code with a wrong check symbol."""
    body = code[4:10]
    wrong = next(s for s in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if s != check_symbol(body))
    return f"FIL-{body}{wrong}"


# --- recording --------------------------------------------------------------------------------


def test_a_pool_device_repair_joins_the_devices_history(repair_session, facilitator, association):
    device = DeviceFactory(owner=association, state="on_loan", brand="Lenovo", kind="laptop")
    repair = record(
        repair_session,
        facilitator,
        device_code=device.public_code.lower().replace("-", " "),  # as typed: forgiving
        problem="Ne démarre plus",
        parts_used="Barrette de RAM 4 Go",
        minutes_spent=45,
    )
    assert repair.device == device
    assert repair.product_category_id == ords.LAPTOP
    assert repair.partner_category == "ordinateur portable"
    assert repair.brand == "Lenovo"
    assert repair.event_date == timezone.localdate(repair_session.starts_at)
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.source_state, event.target_state) == (
        "repair",
        "on_loan",
        "on_loan",
    )
    assert event.actor == facilitator
    assert event.data["repair_id"] == repair.pk
    assert "Réparé" in event.note and "Barrette de RAM" in event.note
    device.refresh_from_db()
    assert device.state == "on_loan"  # a repair does not move the device in its lifecycle


@pytest.mark.parametrize(
    ("status", "barrier", "label"),
    [
        ("Fixed", "", "Réparation</strong> : réparé"),
        ("Repairable", "", "Réparation</strong> : réparable (suite à donner)"),
        ("End of life", "Spare parts too expensive", "Réparation</strong> : fin de vie"),
    ],
)
def test_the_device_history_names_the_repair_and_its_outcome(
    client, repair_session, facilitator, association, staff, status, barrier, label
):
    device = DeviceFactory(owner=association, state="on_loan", kind="laptop")
    record(
        repair_session, facilitator, device_code=device.public_code, status=status, barrier=barrier
    )
    client.force_login(staff)
    page = client.get(reverse("parc:device", args=[device.public_code])).content.decode()
    history = page[page.index('id="history-title"') :]
    assert label in history
    # Not the generic "state → state" line of a transition.
    assert "En prêt → En prêt" not in history


def test_a_device_code_typo_or_a_stranger_device_is_refused(
    repair_session, facilitator, other_refurbisher, association
):
    mine = DeviceFactory(owner=association)
    theirs = DeviceFactory(owner=other_refurbisher)
    cases = [
        (mistype(mine.public_code), "mal saisi"),
        ("bonjour", "n'est pas un code d'appareil Filière"),
        (theirs.public_code, "Aucun appareil de Recyclerie test ne porte le code"),
    ]
    for code, message in cases:
        with pytest.raises(ApplicationError, match=message):
            record(repair_session, facilitator, device_code=code)
    recycled = DeviceFactory(owner=association, state="recycled")
    with pytest.raises(ApplicationError, match="ne peut plus être réparé"):
        record(repair_session, facilitator, device_code=recycled.public_code)
    assert not Repair.objects.exists()
    assert not DeviceEvent.objects.exists()


def test_an_outside_item_needs_its_category_and_an_end_of_life_its_barrier(
    repair_session, facilitator
):
    with pytest.raises(ApplicationError, match="catégorie"):
        record(repair_session, facilitator, brand="Seb")
    with pytest.raises(ApplicationError, match="Catégorie de produit inconnue"):
        record(repair_session, facilitator, product_category_id=999)
    with pytest.raises(ApplicationError, match="ce qui a empêché"):
        record(repair_session, facilitator, product_category_id=14, status="End of life")
    with pytest.raises(ApplicationError, match="qu'en fin de vie"):
        record(
            repair_session,
            facilitator,
            product_category_id=14,
            barrier="Lack of equipment",
        )
    with pytest.raises(ApplicationError, match="Année de fabrication invalide"):
        record(repair_session, facilitator, product_category_id=14, year_of_manufacture=2999)
    kettle = record(
        repair_session,
        facilitator,
        product_category_id=14,
        brand="Seb",
        year_of_manufacture=2015,
        status="End of life",
        barrier="Spare parts not available",
    )
    assert kettle.product_category == "Kettle"
    assert str(kettle) == "Bouilloire Seb – Fin de vie"
    assert kettle.product_age == timezone.localdate(repair_session.starts_at).year - 2015


def test_repairs_only_at_a_started_repair_session_by_its_team(
    repair_session, started, upcoming, facilitator, prescriber, association
):
    with pytest.raises(ApplicationError, match="atelier de réparation"):
        record(started, facilitator, product_category_id=14)
    future_repair = upcoming
    future_repair.workshop_type = workshop_type("maintenance")
    future_repair.save()
    with pytest.raises(ApplicationError, match="pas encore commencé"):
        record(future_repair, facilitator, product_category_id=14)
    with pytest.raises(ApplicationError, match="Seule l'équipe"):
        record(repair_session, prescriber, product_category_id=14)


def test_the_repair_form(client, repair_session, facilitator, association):
    device = DeviceFactory(owner=association, state="transferred", kind="smartphone")
    client.force_login(facilitator)
    url = reverse("ateliers:repair_create", args=[repair_session.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"status": "Fixed"})
    assert response.status_code == 200
    assert "Choisissez une catégorie" in response.content.decode()
    response = client.post(url, {"device_code": mistype(device.public_code), "status": "Fixed"})
    assert response.status_code == 200
    assert "mal saisi" in response.content.decode()
    response = client.post(
        url, {"device_code": device.public_code, "status": "Fixed", "_another": "1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == url
    assert f"historique de l&#x27;appareil {device.public_code}" in response.content.decode()
    response = client.post(
        url,
        {
            "product_category_id": "14",
            "status": "End of life",
            "barrier": "",
            "problem": "Résistance grillée",
        },
    )
    assert "Indiquez ce qui a empêché la réparation" in html.unescape(response.content.decode())
    assert Repair.objects.count() == 1


# --- CO2e averted -----------------------------------------------------------------------------


def test_co2e_per_session_and_in_total(client, repair_session, facilitator, association):
    record(repair_session, facilitator, product_category_id=ords.LAPTOP)  # 265.32 × 0.5
    record(repair_session, facilitator, product_category_id=ords.MOBILE)  # 50.51 × 0.5
    record(repair_session, facilitator, product_category_id=ords.TABLET, status="Repairable")
    record(
        repair_session,
        facilitator,
        product_category_id=ords.DESKTOP,
        status="End of life",
        barrier="Too worn out",
    )
    record(repair_session, facilitator, product_category_id=15)  # a lamp: 14.96 × 0.5
    # Misc has no footprint: by its weight (1.5 kg × 32.07 × 0.5), or not at all.
    record(repair_session, facilitator, product_category_id=ords.MISC, weight_kg=Decimal("1.5"))
    record(repair_session, facilitator, product_category_id=ords.MISC)
    expected = (
        Decimal("132.66")
        + Decimal("25.255")
        + Decimal("7.48")
        + Decimal("1.5") * Decimal("32.07") / 2
    )
    assert expected == Decimal("189.4475")
    totals = repair_totals(facilitator)["local"]
    assert totals["items"] == 7
    assert totals["fixed"] == 5
    assert totals["uncounted"] == 1
    assert totals["averted_kg"].quantize(Decimal("0.01")) == Decimal("189.45")
    # The Python twin agrees with the database.
    twin = sum(
        impact.averted(r.status, r.product_category_id, r.weight_kg) for r in Repair.objects.all()
    )
    assert twin == expected
    client.force_login(facilitator)
    page = client.get(reverse("ateliers:session", args=[repair_session.pk]))
    assert page.context["session"].averted_kg.quantize(Decimal("0.1")) == Decimal("189.4")
    assert "189,4 kg" in page.content.decode()
    page = html.unescape(client.get(reverse("ateliers:repairs")).content.decode())
    assert "189,4 kg" in page
    assert "1 objet réparé n'est pas compté faute de poids connu" in page
    assert "Restart Project" in page
    assert "ADEME" in page  # the reuse figures are counted otherwise, and it says so


def test_every_ords_category_but_misc_has_a_footprint():
    """The issue: CO2e counted zero for 95 % of the fixed items, four IT categories only."""
    table = impact.current_table()
    assert set(table.footprints) == set(ords.categories()) - {ords.MISC}
    assert all(value > 0 for value in table.footprints.values())
    assert table.displacement == Decimal("0.5")
    # Every footprint not taken as is from the Restart summary says where it comes from.
    assert set(table.footprint_notes) == {ords.DESKTOP, ords.FLAT_SCREEN, 20, 37, 39}
    # The earlier table stays, unchanged, for the figures already printed with it.
    assert impact.TABLES["restart-fixometer-2023"].footprints[ords.LAPTOP] == Decimal("258.25")


# --- ORDS export ------------------------------------------------------------------------------


def export(client, organisation, **params):
    response = client.get(reverse("ateliers:repairs_export", args=[organisation.pk]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


def test_the_export_is_a_valid_ords_csv(client, repair_session, facilitator, association):
    device = DeviceFactory(owner=association, kind="tablet", brand="Samsung", state="on_loan")
    record(repair_session, facilitator, device_code=device.public_code, problem="Écran figé")
    record(
        repair_session,
        facilitator,
        product_category_id=14,
        brand='=HYPERLINK("http://evil")',
        problem="-2+3 @SUM(A1)",
        year_of_manufacture=2012,
        status="End of life",
        barrier="No way to open product",
    )
    client.force_login(facilitator)
    content = export(client, association)
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert tuple(rows[0]) == ords.COLUMNS
    assert content.decode().startswith(HEADER + "\r\n")
    first, second = (dict(zip(ords.COLUMNS, row, strict=True)) for row in rows[1:])
    assert first["data_provider"] == association.name
    assert first["country"] == "FRA"
    assert (first["product_category"], first["product_category_id"]) == ("Tablet", "30")
    assert first["partner_product_category"] == "tablette"
    assert first["repair_status"] == "Fixed"
    assert first["event_date"] == timezone.localdate(repair_session.starts_at).isoformat()
    assert first["id"] == f"rt-{Repair.objects.order_by('id')[0].pk}"
    # Formula-looking cells are neutralised for spreadsheets.
    assert second["brand"] == '\'=HYPERLINK("http://evil")'
    assert second["problem"] == "'-2+3 @SUM(A1)"
    assert second["repair_barrier_if_end_of_life"] == "No way to open product"
    assert second["product_age"] == str(timezone.localdate(repair_session.starts_at).year - 2012)
    # No personal data: nobody's name, no household.
    assert "Émilie" not in content.decode()


def test_export_of_another_organisation_is_refused(client, prescriber, association, outsider):
    for user in (prescriber, outsider):
        client.force_login(user)
        url = reverse("ateliers:repairs_export", args=[association.pk])
        assert client.get(url).status_code == 404


@pytest.fixture
def other_cafe(commune):
    cafe = OrganisationFactory(name="Repair café de Dreux", short_name="RC Dreux")
    volunteer = UserFactory(username="benevole")
    MembershipFactory(user=volunteer, organisation=cafe, role="staff")
    return cafe, volunteer


ORDS_FIELDS = (
    "product_category_id",
    "partner_category",
    "brand",
    "year_of_manufacture",
    "product_age",
    "status",
    "barrier",
    "event_date",
    "problem",
)


def test_round_trip_export_then_import_gives_the_same_records(
    client, repair_session, facilitator, association, other_cafe
):
    device = DeviceFactory(owner=association, kind="laptop", brand="Dell")
    record(repair_session, facilitator, device_code=device.public_code, problem="Charnière")
    record(
        repair_session,
        facilitator,
        product_category_id=36,
        brand="+Krups",
        year_of_manufacture=2019,
        problem="=fuite, « joint » usé ; 2 vis",
        status="Repairable",
        weight_kg=Decimal("2.10"),
    )
    record(
        repair_session,
        facilitator,
        product_category_id=25,
        brand="HP",
        status="End of life",
        barrier="Spare parts too expensive",
    )
    client.force_login(facilitator)
    content = export(client, association)
    cafe, volunteer = other_cafe
    batch = import_file(volunteer, cafe, content, "rt.csv")
    assert (batch.rows, batch.skipped, batch.rejected_rows) == (3, 0, 0)
    originals = Repair.objects.filter(session=repair_session).order_by("id")
    imported = Repair.objects.filter(organisation=cafe).order_by("id")
    assert [tuple(getattr(r, f) for f in ORDS_FIELDS) for r in imported] == [
        tuple(getattr(r, f) for f in ORDS_FIELDS) for r in originals
    ]
    assert {r.data_provider for r in imported} == {association.name}
    assert [r.external_id for r in imported] == [f"rt-{r.pk}" for r in originals]
    assert imported[1].brand == "+Krups"  # the neutralising apostrophe is gone again
    # Importing the same file again adds nothing; nor does re-importing one's own export.
    again = services.repairs_import_preview(
        actor=volunteer, organisation=cafe, upload=upload("rt.csv", content)
    )
    assert (again.valid_rows, again.skipped, again.importable_rows) == (3, 3, 0)
    own = services.repairs_import_preview(
        actor=facilitator, organisation=association, upload=upload("mine.csv", content)
    )
    assert (own.valid_rows, own.skipped, own.importable_rows) == (3, 3, 0)
    assert Repair.objects.count() == 6
    # The importing café's own figures do not count the imported records; "all" does.
    totals = repair_totals(volunteer)
    assert totals["imported"]["items"] == 3
    assert totals["local"]["items"] == 0
    assert totals["local"]["averted_kg"] == 0
    assert totals["all"]["averted_kg"].quantize(Decimal("0.001")) == Decimal("132.660")


def test_the_ords_reference_data():
    categories = ords.categories()
    assert len(categories) == 40
    assert categories[ords.LAPTOP] == "Laptop"
    assert categories[ords.DESKTOP] == "Desktop computer"
    assert categories[ords.TABLET] == "Tablet"
    assert categories[ords.MOBILE] == "Mobile"
    assert categories[ords.FLAT_SCREEN] == "Flat screen"
    assert categories[ords.PRINTER] == "Printer/scanner"
    assert categories[ords.MISC] == "Misc"
    assert categories[22] == "PC accessory"  # the July 2025 spelling
    assert set(ords.CATEGORY_LABELS) == set(categories)
    assert ords.category_label(14) == "Bouilloire"
    assert ords.category_choices()[0] == (22, "Accessoire informatique (souris, clavier, webcam)")
    assert ords.neutralise("=1+1") == "'=1+1"
    assert ords.unneutralise(ords.neutralise("@x")) == "@x"
    assert ords.neutralise("'=quoted") == "''=quoted"
    assert ords.unneutralise("''=quoted") == "'=quoted"
    assert ords.neutralise("l'eau") == "l'eau"
    assert ords.unneutralise("'bonjour") == "'bonjour"
