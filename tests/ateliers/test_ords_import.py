"""The import of another repair café's ORDS file: a preview that says which rows are valid
and why each other one is not, then « Importer les N lignes valides » (all of them or none),
the rejected rows downloaded in the provider's own columns with « Erreur », fixed and
imported again; strict RFC 4180 reading, the schema's values and their variants, texts kept
as written, never cut."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import ords, ords_import, services
from ateliers.models import Repair, RepairImport, RepairImportStatus
from ateliers.ords_csv import OrdsFileError
from core.errors import ApplicationError, Changed, NotPermitted, Refused
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.ords import import_file, read_csv, upload

pytestmark = pytest.mark.django_db

HEADER = ",".join(ords.COLUMNS)


@pytest.fixture
def cafe(db):
    cafe = OrganisationFactory(name="Repair café de Dreux", short_name="RC Dreux")
    volunteer = UserFactory(username="benevole")
    MembershipFactory(user=volunteer, organisation=cafe, role="staff")
    return cafe, volunteer


def preview(cafe, content: bytes, name="nogent.csv"):
    organisation, volunteer = cafe
    return services.repairs_import_preview(
        actor=volunteer, organisation=organisation, upload=upload(name, content)
    )


def confirm(cafe, batch):
    return services.repairs_import_confirm(actor=cafe[1], batch_pk=batch.pk)


def csv_bytes(*lines: str, header: str = HEADER, encoding="utf-8") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


NOGENT = "Repair Café Nogent"


def bad_file() -> bytes:
    return csv_bytes(
        f"a-1,{NOGENT},FRA,Bouilloire,Kettle,14,Seb,2015,9,Fixed,,Nogent,2024-03-02,Ok",
        f"a-2,{NOGENT},FRA,Grille-pain,Toaster,999,,,,Fixed,,Nogent,2024-03-02,",
        f"a-3,{NOGENT},FRA,,Kettle,14,,,,Fixed,,Nogent,02/03/2024,",
        f"a-4,{NOGENT},FRA,,Kettle,14,,,,Cassé,,Nogent,2024-03-02,",
        f"a-5,{NOGENT},FRA,,Laptop,16,,,,End of life,Broken,Nogent,2024-02-30,",
        f"a-1,{NOGENT},FRA,,Lamp,15,,,,2,,Nogent,2024-03-02,",
        f"a-7,{NOGENT},FRA,,Mobile,16,,,,1,,Nogent,2024-03-02,",
        f"a-8,{NOGENT},FRA,Lampe,Lamp,15,,,,réparé,,Nogent,2024-03-02,Interrupteur",
    )


STATUSES = "« Fixed », « Repairable », « End of life », « Unknown »"
BARRIERS = ", ".join(f"« {b} »" for b in ords.RepairBarrier.values)
BAD_FILE_ERRORS = [
    [3, "a-2", "catégorie de produit inconnue (« 999 ») : les identifiants de catégorie ORDS "
     "vont de 1 à 40."],
    [4, "a-3", "date invalide (« 02/03/2024 ») : format AAAA-MM-JJ attendu."],
    [5, "a-4", f"statut inconnu (« Cassé ») : valeurs admises {STATUSES}."],
    [6, "a-5", f"obstacle inconnu (« Broken ») : valeurs admises {BARRIERS}. "
     "date invalide (« 2024-02-30 ») : ce jour n'existe pas."],
    [7, "a-1", "identifiant « a-1 » déjà présent ligne 2."],
    [8, "a-7", "catégorie incohérente : l'identifiant 16 est « Laptop », pas « Mobile »."],
]  # fmt: skip


def test_the_preview_says_which_rows_are_valid_and_why_the_others_are_not(cafe):
    batch = preview(cafe, bad_file())
    assert (batch.total_rows, batch.valid_rows, batch.rejected_rows) == (8, 2, 6)
    assert (batch.skipped, batch.importable_rows, batch.noted_rows) == (0, 2, 1)
    assert batch.status == RepairImportStatus.PREVIEWED
    assert batch.report["errors"] == BAD_FILE_ERRORS
    assert batch.report["notes"] == [["statut « réparé » lu comme « Fixed ».", 1, [9]]]
    assert not Repair.objects.exists()  # a preview writes no repair


def test_the_valid_rows_are_imported_together_and_the_rejected_ones_downloaded(cafe):
    batch = confirm(cafe, preview(cafe, bad_file()))
    assert (batch.status, batch.rows, batch.skipped) == (RepairImportStatus.IMPORTED, 2, 0)
    kettle, lamp = Repair.objects.order_by("external_id")
    assert (kettle.external_id, kettle.product_category_id, kettle.status) == ("a-1", 14, "Fixed")
    assert (kettle.product_age, kettle.year_of_manufacture) == (Decimal("9"), 2015)
    assert (lamp.external_id, lamp.status) == ("a-8", "Fixed")
    assert lamp.import_note == "statut « réparé » lu comme « Fixed »."
    assert not batch.valid_file  # the staged rows are gone once imported
    # The rejected rows: the provider's own columns, as written, plus « Erreur ».
    with batch.rejected_file.open("rb") as handle:
        rows = read_csv(handle.read())
    assert list(rows[0]) == [*ords.COLUMNS, "Erreur"]
    assert [row["id"] for row in rows] == ["a-2", "a-3", "a-4", "a-5", "a-1", "a-7"]
    assert rows[1]["event_date"] == "02/03/2024"
    assert rows[2]["repair_status"] == "Cassé"
    assert [row["Erreur"] for row in rows] == [
        f"Ligne {line} : {reason}" for line, _id, reason in BAD_FILE_ERRORS
    ]


def test_rejected_rows_fixed_are_imported_and_duplicates_checked_against_the_imported(cafe):
    batch = confirm(cafe, preview(cafe, bad_file()))
    with batch.rejected_file.open("rb") as handle:
        fixed = handle.read().decode().replace(",Toaster,999,", ",Toaster,31,")
    again = preview(cafe, fixed.encode(), name="nogent-lignes-rejetees.csv")
    # a-2 is fixed; a-1 (the duplicate row) is now a record already imported: skipped.
    assert (again.valid_rows, again.skipped, again.importable_rows) == (2, 1, 1)
    assert again.rejected_rows == 4
    assert again.report["ignored_columns"] == ["Erreur"]
    confirm(cafe, again)
    assert sorted(Repair.objects.values_list("external_id", flat=True)) == ["a-1", "a-2", "a-8"]
    assert Repair.objects.get(external_id="a-2").product_category_id == 31
    # The same file once more: nothing to import, and it says so.
    third = preview(cafe, fixed.encode())
    assert third.importable_rows == 0
    with pytest.raises(Refused, match="Aucune ligne à importer") as refused:
        confirm(cafe, third)
    assert refused.value.code == "ords_nothing_to_import"
    assert Repair.objects.count() == 3


def test_a_failure_midway_writes_nothing(cafe, monkeypatch):
    """Another import of the same records lands between the preview and the import: the
    unique constraint refuses the second chunk, and the first one is rolled back too."""
    lines = [f"z-{n},{NOGENT},FRA,,Kettle,14,,,,Fixed,,Nogent,2024-03-02," for n in range(5)]
    batch = preview(cafe, csv_bytes(*lines))
    organisation, volunteer = cafe
    earlier = RepairImport.objects.create(
        organisation=organisation, filename="autre.csv", imported_by=volunteer
    )
    Repair.objects.create(
        organisation=organisation,
        import_batch=earlier,
        external_id="z-3",
        data_provider=NOGENT,
        product_category_id=14,
        status="Fixed",
        event_date="2024-03-02",
        recorded_by=volunteer,
    )
    monkeypatch.setattr(ords_import, "CHUNK_ROWS", 2)
    # As if the other import committed after this one looked for the records already held.
    monkeypatch.setattr(ords_import._Held, "__call__", lambda self, records: set())
    with pytest.raises(Changed, match="rien n'a été importé") as changed:
        confirm(cafe, batch)
    assert changed.value.code == "ords_import_conflict"
    assert list(Repair.objects.values_list("external_id", flat=True)) == ["z-3"]
    batch.refresh_from_db()
    assert batch.status == RepairImportStatus.PREVIEWED and batch.rows == 0
    assert batch.valid_file  # still there: the import can be run again


def test_a_file_is_imported_once(cafe):
    batch = confirm(cafe, preview(cafe, bad_file()))
    with pytest.raises(Refused, match="déjà été importé") as refused:
        confirm(cafe, batch)
    assert refused.value.code == "ords_already_imported"
    assert Repair.objects.count() == 2


def test_every_value_the_schema_allows_and_the_known_variants(cafe):
    today = timezone.localdate()
    content = csv_bytes(
        f"v-1,{NOGENT},FRA,Radio,Portable radio,23,Unknown,1901,122,Unknown,,Nogent,2022-05-01,",
        f"v-2,{NOGENT},bel,PC,PC Accessory,22,,2015.0,1,fixed,,Nogent,2024-03-02T00:00:00,",
        f'v-3,{NOGENT},NLD,Lamp,,15,,,"1,5",END-OF-LIFE,Item too worn out,N,2024-03-02,',
        f"v-4,{NOGENT},,Lamp,Lamp,,,,,3,No way to open the product,Nogent,2024-03-02,",
        f"v-5,{NOGENT},,Lamp,Lamp,15.0,,,1E+1,1,,Nogent,{today.replace(year=today.year + 1)},",
        f"v-6,{NOGENT},,Lamp,lamp,15,,,,,,Nogent,2024-03-02,",
    )
    batch = confirm(cafe, preview(cafe, content))
    assert (batch.rows, batch.rejected_rows, batch.noted_rows) == (6, 0, 5)
    rows = {r.external_id: r for r in Repair.objects.all()}
    # Allowed as is: Unknown, a 1901 radio of 122 years, brand "Unknown" (the schema's
    # missing value for brand, kept as written).
    assert (rows["v-1"].status, rows["v-1"].year_of_manufacture) == ("Unknown", 1901)
    assert (rows["v-1"].brand, rows["v-1"].product_age, rows["v-1"].import_note) == (
        "Unknown",
        Decimal("122"),
        "",
    )
    assert rows["v-2"].country == "BEL"
    assert rows["v-2"].product_category_name == "PC Accessory"  # the provider's spelling
    assert (rows["v-2"].year_of_manufacture, rows["v-2"].status) == (2015, "Fixed")
    assert rows["v-2"].import_note.splitlines() == [
        "statut « fixed » lu comme « Fixed ».",
        "date « 2024-03-02T00:00:00 » lue comme « 2024-03-02 ».",
        "année « 2015.0 » lue comme « 2015 ».",
        "pays « bel » lu comme « BEL ».",
    ]
    assert (rows["v-3"].status, rows["v-3"].barrier) == ("End of life", "Too worn out")
    assert rows["v-3"].product_age == Decimal("1.5")  # a decimal comma
    assert "obstacle « Item too worn out » lu comme « Too worn out »." in rows["v-3"].import_note
    assert (rows["v-4"].product_category_id, rows["v-4"].barrier) == (15, "No way to open product")
    assert (rows["v-5"].product_category_id, rows["v-5"].product_age) == (15, Decimal("10"))
    assert "postérieure à aujourd'hui" in rows["v-5"].import_note
    assert rows["v-6"].status == "Unknown"
    assert rows["v-6"].import_note == "statut vide lu comme « Unknown »."
    notes = {text: count for text, count, _lines in batch.report["notes"]}
    assert notes["obstacle « Item too worn out » lu comme « Too worn out »."] == 1


def test_csv_is_read_as_rfc_4180_never_guessed(cafe):
    content = (
        HEADER + "\r\n"
        f'q-1,{NOGENT},FRA,TV,Flat screen,8,Philips - 37",,,Fixed,,Nogent,2024-03-02,\r\n'
        f'q-2,{NOGENT},FRA,TV,Flat screen,8,"Andersson 42"" tv",,,Fixed,,Nogent,2024-03-02,'
        '"Ne s\'allume plus,\r\nsauf ""parfois"" ; ""37"""""\r\n'
        f'q-3,{NOGENT},FRA,TV,Flat screen,8,"Sony"x,,,Fixed,,Nogent,2024-03-02,\r\n'
        f"q-4,{NOGENT},FRA,TV,Flat screen,8,LG,,,Fixed,,Nogent,2024-03-02,\r\n"
    ).encode()
    batch = confirm(cafe, preview(cafe, content))
    assert (batch.total_rows, batch.rows, batch.rejected_rows) == (4, 3, 1)
    brands = dict(Repair.objects.values_list("external_id", "brand"))
    assert brands == {"q-1": 'Philips - 37"', "q-2": 'Andersson 42" tv', "q-4": "LG"}
    assert Repair.objects.get(external_id="q-2").problem == (
        'Ne s\'allume plus,\r\nsauf "parfois" ; "37""'
    )
    (line, _id, reason), = batch.report["errors"]  # fmt: skip
    assert line == 5  # the line numbers of the file, a quoted newline included
    assert reason.startswith("CSV illisible (ligne 5) : guillemet mal placé")


def test_an_unclosed_quote_names_the_lines_it_swallowed(cafe):
    content = csv_bytes(
        f"u-1,{NOGENT},FRA,TV,Flat screen,8,LG,,,Fixed,,Nogent,2024-03-02,ok",
        f'u-2,{NOGENT},FRA,TV,Flat screen,8,LG,,,Fixed,,Nogent,2024-03-02,"jamais fermé',
        f"u-3,{NOGENT},FRA,TV,Flat screen,8,LG,,,Fixed,,Nogent,2024-03-02,",
    )
    batch = preview(cafe, content)
    assert (batch.valid_rows, batch.rejected_rows) == (1, 1)
    assert batch.report["errors"][0][2].startswith(
        "CSV illisible (lignes 3 à 4) : guillemet ouvert jamais refermé"
    )


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ",", False), ("utf-8", ";", True), ("cp1252", ";", False), ("utf-8", "\t", False)],
)
def test_spreadsheet_saves_are_read(cafe, encoding, delimiter, bom):
    lines = [
        f"b-1{delimiter}{NOGENT}{delimiter}FRA{delimiter}Portable{delimiter}{delimiter}16"
        f'{delimiter}Asus{delimiter}2016{delimiter}"8,0"{delimiter}1{delimiter}{delimiter}Nogent'
        f"{delimiter}2024-03-02{delimiter}Écran « cassé »",
    ]
    content = csv_bytes(*lines, header=HEADER.replace(",", delimiter), encoding=encoding)
    if bom:
        content = b"\xef\xbb\xbf" + content
    batch = confirm(cafe, preview(cafe, content))
    assert (batch.delimiter, batch.rows) == (delimiter, 1)
    assert batch.encoding == ("cp1252" if encoding == "cp1252" else "utf-8-sig")
    laptop = Repair.objects.get()
    assert (laptop.product_category_id, laptop.status, laptop.product_age) == (
        16,
        "Fixed",
        Decimal("8"),
    )
    assert laptop.problem == "Écran « cassé »"


def test_texts_are_kept_whole_or_refused_never_cut(cafe):
    long_category = "Tape deck purchased in Japan in 1975. " * 6  # 228 characters
    too_long = "x" * 501
    content = csv_bytes(
        f"l-1,{NOGENT},FRA,{long_category},Hi-Fi separates,13,,,,Fixed,,Nogent,2024-03-02,",
        f"l-2,{NOGENT},FRA,{too_long},Hi-Fi separates,13,{'b' * 201},,,Fixed,,G,2024-03-02,",
    )
    batch = confirm(cafe, preview(cafe, content))
    assert Repair.objects.get().partner_category == long_category  # every character
    assert batch.report["errors"] == [
        [
            3,
            "l-2",
            "catégorie d'origine (partner_product_category) trop long : 501 caractères, 500 "
            "au plus. marque (brand) trop long : 201 caractères, 200 au plus.",
        ]
    ]


def test_rows_of_the_wrong_width_are_rejected_with_their_cells(cafe):
    content = csv_bytes(
        f"w-1,{NOGENT},FRA,,Lamp,15,,,,Fixed,,Nogent,2024-03-02,,en trop",
        f"w-2,{NOGENT},FRA,,Lamp,15",
    )
    batch = preview(cafe, content)
    assert [reason for _line, _id, reason in batch.report["errors"]] == [
        "15 cellules au lieu de 14 (une par colonne de l'en-tête).",
        "6 cellules au lieu de 14 (une par colonne de l'en-tête).",
    ]
    with batch.rejected_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    assert "en trop" in text  # nothing of the provider's row is lost


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"\x00\x01\x02PK\x03\x04\xff\xfe binary \x81", "ords_encoding", "pas un texte lisible"),
        (b"\xff\xfei\x00d\x00", "ords_encoding", "UTF-16"),
        (b"nom;age\nMartin;42\n", "ords_not_ords", "colonnes manquantes"),
        ("é;à".encode("latin-1") * 10, "ords_not_ords", "pas au format ORDS"),
        (b"\r\n\r\n", "ords_not_ords", "première ligne du fichier est vide"),
        (b"", "ords_not_ords", "première ligne du fichier est vide"),
        (HEADER.encode() + b"\r\n", "ords_empty", "aucune réparation"),
        (
            (HEADER + ",id\r\n").encode(),
            "ords_not_ords",
            "La colonne id figure deux fois",
        ),
    ],
)
def test_files_that_are_not_ords_are_refused_whole(cafe, content, code, message):
    with pytest.raises(OrdsFileError) as refused:
        preview(cafe, content)
    assert refused.value.code == code
    assert message in refused.value.message
    assert not Repair.objects.exists()
    assert not RepairImport.objects.exists()  # nothing staged either


def test_a_file_too_long_is_refused(cafe, monkeypatch):
    monkeypatch.setattr(ords_import, "MAX_ROWS", 3)
    lines = [f"t-{n},{NOGENT},FRA,,Lamp,15,,,,Fixed,,Nogent,2024-03-02," for n in range(4)]
    with pytest.raises(OrdsFileError, match="Fichier trop long : 3 lignes au plus"):
        preview(cafe, csv_bytes(*lines))
    assert not RepairImport.objects.exists()


def test_only_the_team_imports(prescriber, association):
    with pytest.raises(NotPermitted, match="ne pouvez pas importer") as refused:
        services.repairs_import_preview(
            actor=prescriber, organisation=association, upload=upload("x.csv", bad_file())
        )
    assert refused.value.code == "ords_import_not_permitted"
    assert not RepairImport.objects.exists()


def test_another_organisations_preview_cannot_be_imported(cafe, facilitator):
    batch = preview(cafe, bad_file())
    with pytest.raises(ApplicationError) as refused:
        services.repairs_import_confirm(actor=facilitator, batch_pk=batch.pk)
    assert (refused.value.code, refused.value.status) == ("ords_preview_gone", 404)
    assert not Repair.objects.exists()


def test_previews_left_a_day_are_forgotten(cafe):
    old = preview(cafe, bad_file())
    RepairImport.objects.filter(pk=old.pk).update(
        previewed_at=timezone.now() - timezone.timedelta(hours=25)
    )
    done = confirm(cafe, preview(cafe, bad_file()))
    fresh = preview(cafe, bad_file())
    assert set(RepairImport.objects.values_list("pk", flat=True)) == {done.pk, fresh.pk}


# --- the pages ----------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_pages_of_a_partial_import(client, cafe, facilitator):
    organisation, volunteer = cafe
    client.force_login(volunteer)
    response = client.post(
        reverse("ateliers:repairs"),
        {"organisation": organisation.pk, "fichier": upload("nogent.csv", bad_file())},
    )
    batch = RepairImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ateliers:repair_import", args=[batch.pk])
    page = client.get(response["Location"])
    text = page_text(page)
    assert "Importer les 2 lignes valides" in text
    assert "Les 6 lignes rejetées ne le sont pas" in text
    assert "statut inconnu (« Cassé »)" in text
    assert "statut « réparé » lu comme « Fixed »." in text
    assert "Télécharger les 6 lignes rejetées (CSV)" in text
    response = client.get(reverse("ateliers:repair_import_rejected", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="nogent-lignes-rejetees.csv"' in response["Content-Disposition"]
    rows = read_csv(b"".join(response.streaming_content))
    assert [row["id"] for row in rows] == ["a-2", "a-3", "a-4", "a-5", "a-1", "a-7"]
    response = client.post(reverse("ateliers:repair_import", args=[batch.pk]))
    assert response.status_code == 302
    text = page_text(client.get(response["Location"]))
    assert "2 réparations importées." in text
    assert "Ajoutées" in text and "Importer les" not in text
    # Once more: refused in French, nothing added.
    response = client.post(reverse("ateliers:repair_import", args=[batch.pk]))
    assert response.status_code == 409
    assert "déjà été importé" in page_text(response)
    assert Repair.objects.count() == 2
    # The list page leads to it; another organisation's member gets a 404 everywhere.
    assert "importé le" in page_text(client.get(reverse("ateliers:repairs")))
    client.force_login(facilitator)
    for url in (
        reverse("ateliers:repair_import", args=[batch.pk]),
        reverse("ateliers:repair_import_rejected", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("ateliers:repair_import", args=[batch.pk])).status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02PK\x03\x04 binary \x81", "pas un texte lisible"),
        (b"nom;age\nMartin;42\n", "pas au format ORDS"),
        (HEADER.encode() + b"\r\n", "aucune réparation"),
    ],
)
def test_the_upload_page_says_why_a_file_is_refused_never_a_500(client, cafe, content, message):
    organisation, volunteer = cafe
    client.force_login(volunteer)
    response = client.post(
        reverse("ateliers:repairs"),
        {"organisation": organisation.pk, "fichier": upload("x.csv", content)},
    )
    assert response.status_code == 400
    assert message in page_text(response)
    assert not RepairImport.objects.exists()


def test_the_preview_page_costs_the_same_queries_whatever_the_rejected_rows(
    client, cafe, django_assert_max_num_queries
):
    organisation, volunteer = cafe
    client.force_login(volunteer)
    small = preview(cafe, bad_file())
    many = preview(
        cafe,
        csv_bytes(*[f"m-{n},{NOGENT},FRA,,Toaster,999,,,,Fixed,,N,2024-03-02," for n in range(30)]),
    )
    for batch in (small, many):
        with django_assert_max_num_queries(8):
            assert client.get(reverse("ateliers:repair_import", args=[batch.pk])).status_code == 200


def test_the_repairs_page_keeps_imported_records_apart_unless_asked(client, cafe):
    organisation, volunteer = cafe
    import_file(volunteer, organisation, bad_file())  # 2 fixed: kettle, lamp
    client.force_login(volunteer)
    text = page_text(client.get(reverse("ateliers:repairs")))
    assert "2 réparations importées d'autres sources ne sont pas comptées dans ce bilan." in text
    assert "CO2e évité, en tout" not in text
    response = client.get(reverse("ateliers:repairs"), {"importees": "1"})
    text = page_text(response)
    assert response.context["totals"]["local"]["averted_kg"] == 0
    # Kettle 44.32 × 0.5 + lamp 14.96 × 0.5
    assert response.context["totals"]["all"]["averted_kg"] == Decimal("29.64")
    assert "CO2e évité, en tout" in text and "29,6 kg" in text


def test_a_nul_byte_rejects_its_row_only(cafe):
    """PostgreSQL cannot store it, a text file never holds it: its row is rejected."""
    content = csv_bytes(
        f"n-1,{NOGENT},FRA,,Lamp,15,,,,Fixed,,Nogent,2024-03-02,ok",
        f"n-2,{NOGENT},FRA,,Lamp,15,Phi\x00lips,,,Fixed,,Nogent,2024-03-02,",
    )
    batch = confirm(cafe, preview(cafe, content))
    assert batch.rows == 1
    assert batch.report["errors"] == [
        [3, "", "caractère nul (octet 0) dans la ligne : le fichier n'est pas un texte."]
    ]
