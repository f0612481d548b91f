"""Repairs: pool devices join their history, outside items in ORDS categories, CO2e averted
(Restart Project method), the ORDS export and the import of another repair café's file."""

import csv
import html
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ateliers import impact, ords, services
from ateliers.models import Repair, RepairImport
from ateliers.selectors import repair_totals
from parc.codes import check_symbol
from parc.models import DeviceEvent
from tests.factories import (
    DeviceFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

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
        with pytest.raises(services.WorkshopError, match=message):
            record(repair_session, facilitator, device_code=code)
    recycled = DeviceFactory(owner=association, state="recycled")
    with pytest.raises(services.WorkshopError, match="ne peut plus être réparé"):
        record(repair_session, facilitator, device_code=recycled.public_code)
    assert not Repair.objects.exists()
    assert not DeviceEvent.objects.exists()


def test_an_outside_item_needs_its_category_and_an_end_of_life_its_barrier(
    repair_session, facilitator
):
    with pytest.raises(services.WorkshopError, match="catégorie"):
        record(repair_session, facilitator, brand="Seb")
    with pytest.raises(services.WorkshopError, match="Catégorie de produit inconnue"):
        record(repair_session, facilitator, product_category_id=999)
    with pytest.raises(services.WorkshopError, match="ce qui a empêché"):
        record(repair_session, facilitator, product_category_id=14, status="End of life")
    with pytest.raises(services.WorkshopError, match="qu'en fin de vie"):
        record(
            repair_session,
            facilitator,
            product_category_id=14,
            barrier="Lack of equipment",
        )
    with pytest.raises(services.WorkshopError, match="Année de fabrication invalide"):
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
    with pytest.raises(services.WorkshopError, match="atelier de réparation"):
        record(started, facilitator, product_category_id=14)
    future_repair = upcoming
    future_repair.workshop_type = workshop_type("maintenance")
    future_repair.save()
    with pytest.raises(services.WorkshopError, match="pas encore commencé"):
        record(future_repair, facilitator, product_category_id=14)
    with pytest.raises(services.WorkshopError, match="Seule l'équipe"):
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
    record(repair_session, facilitator, product_category_id=ords.LAPTOP)  # 258.25 × 0.5
    record(repair_session, facilitator, product_category_id=ords.MOBILE)  # 35.82 × 0.5
    record(repair_session, facilitator, product_category_id=ords.TABLET, status="Repairable")
    record(
        repair_session,
        facilitator,
        product_category_id=ords.DESKTOP,
        status="End of life",
        barrier="Product too worn out",
    )
    record(repair_session, facilitator, product_category_id=14, weight_kg=Decimal("1.5"))
    record(repair_session, facilitator, product_category_id=15)  # a lamp, weight unknown
    expected = Decimal("129.125") + Decimal("17.91") + Decimal("1.5") * Decimal("32.07") / 2
    assert expected == Decimal("171.0875")
    totals = repair_totals(facilitator)["local"]
    assert totals["items"] == 6
    assert totals["fixed"] == 4
    assert totals["uncounted"] == 1
    assert totals["averted_kg"].quantize(Decimal("0.01")) == Decimal("171.09")
    # The Python twin agrees with the database.
    twin = sum(
        impact.averted(r.status, r.product_category_id, r.weight_kg) for r in Repair.objects.all()
    )
    assert twin == expected
    client.force_login(facilitator)
    page = client.get(reverse("ateliers:session", args=[repair_session.pk]))
    assert page.context["session"].averted_kg.quantize(Decimal("0.1")) == Decimal("171.1")
    assert "171,1 kg" in page.content.decode()
    page = html.unescape(client.get(reverse("ateliers:repairs")).content.decode())
    assert "171,1 kg" in page
    assert "1 objet réparé n'est pas compté faute de poids connu" in page
    assert "Restart Project" in page


# --- ORDS export ------------------------------------------------------------------------------


def export(client, organisation, **params):
    response = client.get(reverse("ateliers:repairs_export", args=[organisation.pk]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content


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
        barrier="No way to open the product",
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
    assert first["id"].startswith("rt-")
    # Formula-looking cells are neutralised for spreadsheets.
    assert second["brand"] == '\'=HYPERLINK("http://evil")'
    assert second["problem"] == "'-2+3 @SUM(A1)"
    assert second["repair_barrier_if_end_of_life"] == "No way to open the product"
    assert second["product_age"] == str(timezone.localdate(repair_session.starts_at).year - 2012)
    # No personal data: nobody's name, no household.
    assert "Émilie" not in content.decode()


def test_export_of_another_organisation_is_refused(client, prescriber, association, outsider):
    for user in (prescriber, outsider):
        client.force_login(user)
        url = reverse("ateliers:repairs_export", args=[association.pk])
        assert client.get(url).status_code == 404


# --- ORDS import ------------------------------------------------------------------------------


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
    report = services.repairs_import(
        actor=volunteer, organisation=cafe, filename="rnel.csv", content=content
    )
    assert (report.imported, report.skipped) == (3, 0)
    originals = Repair.objects.filter(session=repair_session).order_by("id")
    imported = Repair.objects.filter(organisation=cafe).order_by("id")
    assert [tuple(getattr(r, f) for f in ORDS_FIELDS) for r in imported] == [
        tuple(getattr(r, f) for f in ORDS_FIELDS) for r in originals
    ]
    assert {r.data_provider for r in imported} == {association.name}
    assert [r.external_id for r in imported] == [f"rt-{r.pk}" for r in originals]
    assert imported[1].brand == "+Krups"  # the neutralising apostrophe is gone again
    # Importing the same file again adds nothing; nor does re-importing one's own export.
    again = services.repairs_import(
        actor=volunteer, organisation=cafe, filename="rnel.csv", content=content
    )
    assert (again.imported, again.skipped) == (0, 3)
    own = services.repairs_import(
        actor=facilitator, organisation=association, filename="mine.csv", content=content
    )
    assert (own.imported, own.skipped) == (0, 3)
    assert Repair.objects.count() == 6
    # The importing café's figures count the imported fixed items.
    totals = repair_totals(volunteer)
    assert totals["imported"]["items"] == 3
    assert totals["local"]["items"] == 0
    assert totals["all"]["averted_kg"].quantize(Decimal("0.001")) == Decimal("129.125")


def bad_file() -> bytes:
    lines = [
        HEADER,
        "a-1,Repair Café Nogent,FRA,Bouilloire,Kettle,14,Seb,2015,9,Fixed,,Nogent,2024-03-02,Ok",
        "a-2,Repair Café Nogent,FRA,Grille-pain,Toaster,999,,,,Fixed,,Nogent,2024-03-02,",
        "a-3,Repair Café Nogent,FRA,,Kettle,14,,,,Fixed,,Nogent,02/03/2024,",
        "a-4,Repair Café Nogent,FRA,,Kettle,14,,,,Réparé,,Nogent,2024-03-02,",
        "a-5,Repair Café Nogent,FRA,,Laptop,16,,,,End of life,Broken,Nogent,2024-02-30,",
        "a-1,Repair Café Nogent,FRA,,Lamp,15,,,,2,,Nogent,2024-03-02,",
        "a-7,Repair Café Nogent,FRA,,Mobile,16,,,,1,,Nogent,2024-03-02,",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_bad_file_is_reported_per_row_and_nothing_is_imported(other_cafe):
    cafe, volunteer = other_cafe
    with pytest.raises(services.ImportRefused) as refused:
        services.repairs_import(
            actor=volunteer, organisation=cafe, filename="nogent.csv", content=bad_file()
        )
    errors = refused.value.report.errors
    assert errors == [
        "Ligne 3 : catégorie de produit inconnue (« 999 »).",
        "Ligne 4 : date invalide (« 02/03/2024 ») : format AAAA-MM-JJ attendu.",
        "Ligne 5 : statut de réparation inconnu (« Réparé ») : Fixed, Repairable ou End of life.",
        "Ligne 6 : obstacle à la réparation inconnu (« Broken »).",
        "Ligne 6 : date invalide (« 2024-02-30 »).",
        "Ligne 7 : identifiant « a-1 » déjà présent ligne 2.",
        "Ligne 8 : catégorie incohérente : l'identifiant 16 est « Laptop », pas « Mobile ».",
    ]
    assert "rien n'a été importé : 7 erreur(s)" in refused.value.message
    assert not Repair.objects.exists()
    assert not RepairImport.objects.exists()


def test_the_import_page_lists_the_errors_never_a_500(client, other_cafe):
    cafe, volunteer = other_cafe
    client.force_login(volunteer)
    url = reverse("ateliers:repairs")
    upload = SimpleUploadedFile("nogent.csv", bad_file(), content_type="text/csv")
    response = client.post(url, {"organisation": cafe.pk, "fichier": upload})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Fichier refusé, rien n'a été importé : 7 erreur(s)." in page
    assert "Ligne 4 : date invalide (« 02/03/2024 »)" in page
    for content, message in (
        (b"\x00\x01\x02PK\x03\x04 binary", "pas au format ORDS"),
        (b"nom;age\nMartin;42\n", "pas au format ORDS"),
        (HEADER.encode() + b"\r\n", "aucune réparation"),
        ("é".encode("latin-1") * 10, "pas au format ORDS"),
    ):
        upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
        response = client.post(url, {"organisation": cafe.pk, "fichier": upload})
        assert response.status_code == 400, content
        assert message in html.unescape(response.content.decode()), content
    assert not Repair.objects.exists()


def test_a_french_spreadsheet_export_is_accepted(other_cafe):
    cafe, volunteer = other_cafe
    content = (
        HEADER.replace(",", ";")
        + "\r\nb-1;Repair Café Nogent;FRA;Portable;;16;Asus;2016;8,0;1;;Nogent;2024-03-02;Écran\r\n"
        + "b-2;Repair Café Nogent;FRA;Lampe;Lamp;;;;;End of life;3;Nogent;2024-03-02;\r\n"
    ).encode("cp1252")
    report = services.repairs_import(
        actor=volunteer, organisation=cafe, filename="nogent.csv", content=content
    )
    assert report.imported == 2
    laptop, lamp = Repair.objects.order_by("external_id")
    assert (laptop.product_category_id, laptop.status, laptop.product_age) == (
        16,
        "Fixed",
        Decimal("8.0"),
    )
    assert laptop.problem == "Écran"
    assert (lamp.product_category_id, lamp.status, lamp.barrier) == (
        15,
        "End of life",
        "No way to open the product",
    )


def test_only_the_team_imports(prescriber, association):
    with pytest.raises(services.WorkshopError, match="ne pouvez pas importer"):
        services.repairs_import(
            actor=prescriber, organisation=association, filename="x.csv", content=b""
        )


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
    assert set(ords.CATEGORY_LABELS) == set(categories)
    assert ords.category_label(14) == "Bouilloire"
    assert ords.category_choices()[0] == (22, "Accessoire informatique (souris, clavier, webcam)")
    assert [b.value for b in ords.RepairBarrier] == [
        "Spare parts not available",
        "Spare parts too expensive",
        "No way to open the product",
        "Repair information not available",
        "Lack of equipment",
        "Product too worn out",
    ]
    assert ords.neutralise("=1+1") == "'=1+1"
    assert ords.unneutralise(ords.neutralise("@x")) == "@x"
    assert ords.neutralise("'=quoted") == "''=quoted"
    assert ords.unneutralise("''=quoted") == "'=quoted"
    assert ords.neutralise("l'eau") == "l'eau"
    assert ords.unneutralise("'bonjour") == "'bonjour"
