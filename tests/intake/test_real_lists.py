"""Donor lists as real tools write them (tests/fixtures/intake/make_real_lists.py): a GLPI
computer export (UTF-8 with BOM and Windows-1252), the same list re-saved by Excel (title,
blank rows, formulas, dates as serials, decimal commas), an English list under a title row.
Each holds 150 devices, three of them wrong: they go through the pages as a person would take
them, the valid rows are imported, the three rejected rows come back in the donor's format to
be fixed and imported in turn."""

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from dons.models import Donation, DonationState, Gisement
from intake import columns, services
from intake.models import ImportJob, ImportOutcome, SavedMapping
from parc.models import Device, DeviceEvent
from tests.acteurs.factories import OrganisationFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "intake"
pytestmark = pytest.mark.django_db

GLPI_FILES = ["glpi-export-utf8-bom.csv", "glpi-export-cp1252.csv"]
# Device numbers of the three wrong rows (make_real_lists.py) and the first of the duplicate.
MISSING_SERIAL, DUPLICATE, SERVER, DUPLICATE_OF = 40, 77, 120, 12


@pytest.fixture(autouse=True)
def fresh_heartbeats():
    cache.clear()


@pytest.fixture
def donor():
    return OrganisationFactory(name="Société Exemple SAS", is_donor=True)


@pytest.fixture
def donation(refurbisher, donor):
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=refurbisher, donor_kind="entreprise", name="Renouvellement"
    )
    return Donation.objects.create(gisement=gisement)


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content if content is not None else (FIXTURES / name).read_bytes()
    )


def preview(user, donation, name, content=None) -> ImportJob:
    job = services.job_create(user, donation, upload(name, content))
    assert not services.job_needs_columns(job), (job.header_line, job.headers, job.mapping)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_analysis(user, job)
    job.refresh_from_db()
    assert job.previewed, job.error
    return job


def import_valid(job, user) -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_import(job, user)
    job.refresh_from_db()
    assert job.imported, job.error
    return job


def rejected(job) -> dict[int, str]:
    return dict(
        job.rows.filter(outcome=ImportOutcome.ERROR)
        .order_by("line")
        .values_list("line", "messages")
    )


@pytest.mark.parametrize("name", GLPI_FILES)
def test_a_glpi_export_is_read_as_glpi_writes_it(staff, donation, name):
    job = preview(staff, donation, name)
    assert (job.delimiter, job.header_line, job.total_rows) == (";", 1, 150)
    assert job.encoding == ("utf-8-sig" if "utf8" in name else "windows-1252")
    named = {job.headers[int(i)]: field for i, field in job.mapping.items()}
    assert named == {
        "Nom": "notes",
        "Entité": "notes",
        "Numéro de série": "serial",
        "Numéro d'inventaire": "asset_tag",
        "Fabricant": "brand",
        "Modèle": "model",
        "Type": "kind",
        "Système d'exploitation - Nom": "os",
        "Composants - Processeur": "cpu",
        "Date d'achat": "purchase_date",
        "Statut": "notes",
        "Commentaires": "notes",
    }
    assert job.counts == {"new": 147, "existing": 0, "error": 3}
    # Rows numbered as a spreadsheet shows them, whatever the cells over two lines.
    assert rejected(job) == {
        MISSING_SERIAL + 1: "numéro de série manquant",
        DUPLICATE + 1: f"doublon : même numéro de série que la ligne {DUPLICATE_OF + 1}",
        SERVER + 1: "type d'appareil inconnu : « Serveur » (types reconnus : ordinateur "
        "portable, ordinateur fixe, écran, tablette, smartphone, imprimante, autre)",
    }
    job = import_valid(job, staff)
    assert job.created_count == 147 == Device.objects.filter(donation=donation).count()
    assert DeviceEvent.objects.filter(action="register").count() == 147
    first = Device.objects.get(asset_tag="INV-2019-0001")
    assert (first.serial, first.brand, first.kind) == ("HP3048521", "HP", "desktop")
    assert first.os == "Microsoft Windows 10 Professionnel"
    assert first.cpu == "Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz"
    assert first.purchase_date == dt.date(2021, 1, 31)
    assert first.notes == "Nom : PC-001\nEntité : Entité racine > Agence Dreux\nStatut : À donner"
    # A comment over two lines and one holding a semicolon, kept whole.
    assert "Commentaires" not in Device.objects.get(asset_tag="INV-2019-0007").notes
    assert "Écran rayé Chargeur manquant" in Device.objects.get(asset_tag="INV-2019-0007").notes
    assert "Batterie HS; clavier AZERTY" in Device.objects.get(asset_tag="INV-2019-0019").notes


def test_serials_typed_by_hand_are_stored_in_one_form_with_the_written_one_kept(staff, donation):
    job = import_valid(preview(staff, donation, "glpi-export-utf8-bom.csv"), staff)
    device = Device.objects.get(asset_tag="INV-2019-0003")
    assert device.serial == "LE9123984" and device.serial_raw == "le9 123984"
    assert Device.objects.filter(serial_key="LE9123984").count() == 1
    row = job.rows.get(line=4)
    assert row.notes == "numéro de série écrit « le9 123984 », enregistré « LE9123984 »"
    assert not Device.objects.filter(serial__regex=r"[a-z ]").exists()
    assert Device.objects.exclude(serial_raw="").count() == 6


def test_the_excel_resave_title_blank_rows_formulas_dates_and_commas(staff, donation):
    job = services.job_create(staff, donation, upload("glpi-resaved-by-excel.xlsx"))
    # The merged title, the subtitle and the blank rows are not the header.
    assert (job.header_line, job.header_certain) == (5, True)
    assert job.headers[3] == "N° d’inventaire" and job.mapping["3"] == "asset_tag"
    assert job.mapping["10"] == "weight"  # "Poids (kg)"
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_analysis(staff, job)
    job.refresh_from_db()
    assert job.counts == {"new": 147, "existing": 0, "error": 3}
    rows = {row.line: row for row in job.rows.all()}
    first = rows[6]  # device 1
    assert first.data["weight_kg"] == "6.20"  # "6,2" typed as text
    assert first.data["purchase_date"] == "2021-01-31"  # a date-formatted Excel serial
    assert first.data["notes"].startswith("Nom : PC-001\n")
    assert "Nom : formule =HYPERLINK(" in first.notes
    assert "sa valeur calculée « PC-001 » est lue" in first.notes
    # A formula saved without its computed value: its text, with a note, never empty.
    second = rows[7]
    assert "sans valeur calculée enregistrée, son texte est lu" in second.notes
    assert second.data["notes"].startswith('Nom : =HYPERLINK("https://glpi.exemple.fr/')
    # A bare day number in the date column.
    ninth = rows[14]
    assert "lue comme un numéro de jour Excel" in ninth.notes
    assert ninth.data["purchase_date"] == str(
        dt.date(1899, 12, 30) + dt.timedelta(days=int(ninth.notes.split("« ")[-1].split(" »")[0]))
    )
    # A note typed beyond the last column: a warning on its row, the row imported.
    fifth = rows[10]
    assert fifth.outcome == "new"
    assert "1 cellule au-delà des colonnes titrées, non importée : « voir avec M. Durand »" in (
        fifth.notes
    )


def test_an_english_list_under_a_title_row(staff, donation):
    job = preview(staff, donation, "title-row.xlsx")
    assert job.header_line == 2
    assert job.counts == {"new": 147, "existing": 0, "error": 3}
    import_valid(job, staff)
    device = Device.objects.get(asset_tag="INV-2019-0002")
    assert device.weight_kg is not None and device.weight_kg > 0
    assert device.purchase_date is not None and device.kind == "desktop"


def test_rejected_rows_fixed_and_imported_again_through_the_pages(client, staff, donation):
    """The XLSX round trip: import the valid rows, download the three rejected ones (XLSX
    with « Erreur »), fix the missing serial, upload the file: the columns are known, the
    duplicate is now the device imported from its first line (unchanged), the fixed row
    is imported, the server is still refused."""
    client.force_login(staff)
    response = client.post(
        reverse("intake:start"),
        {"donation": donation.pk, "file": upload("glpi-resaved-by-excel.xlsx")},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("intake:job", kwargs={"pk": job.pk})
    page = client.get(response["Location"]).content.decode()
    assert "Importer les 147 lignes valides" in page
    assert "Télécharger les 3 lignes rejetées (XLSX)" in page
    response = client.post(reverse("intake:import", kwargs={"pk": job.pk}))
    assert Device.objects.count() == 147

    download = client.get(reverse("intake:rejected", kwargs={"pk": job.pk}))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "glpi-resaved-by-excel-lignes-rejetees.xlsx" in download["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    sheet = workbook.active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][-1] == "Erreur" and rows[0][:-1] == job.headers
    assert len(rows) == 4
    serial = job.headers.index("Numéro de série")
    missing = next(row for row in rows[1:] if row[-1] == "numéro de série manquant")
    missing[serial] = "CZC9999999"
    fixed = io.BytesIO()
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    workbook.save(fixed)

    response = client.post(
        reverse("intake:start"),
        {"donation": donation.pk, "file": upload("corrigé.xlsx", fixed.getvalue())},
    )
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.mapping_remembered
    assert response["Location"] == reverse("intake:job", kwargs={"pk": again.pk})
    assert again.mapping[str(len(again.headers) - 1)] == columns.IGNORE  # « Erreur »
    assert again.counts == {"new": 1, "existing": 1, "error": 1}
    assert "Serveur" in next(iter(rejected(again).values()))
    client.post(reverse("intake:import", kwargs={"pk": again.pk}))
    assert Device.objects.count() == 148
    assert Device.objects.filter(serial="CZC9999999", donation=donation).exists()


@pytest.mark.parametrize("name", GLPI_FILES)
def test_rejected_csv_rows_keep_the_donors_encoding_and_separator(client, staff, donation, name):
    job = preview(staff, donation, name)
    client.force_login(staff)
    response = client.get(reverse("intake:rejected", kwargs={"pk": job.pk}))
    raw = b"".join(response.streaming_content)
    if "cp1252" in name:
        assert response["Content-Type"] == "text/csv; charset=windows-1252"
        text = raw.decode("cp1252")
    else:
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [*job.headers, "Erreur"]
    assert [row[-1] for row in rows[1:]][0] == "numéro de série manquant"
    assert len(rows) == 4


def test_the_mapping_is_remembered_per_donor(client, staff, donation, refurbisher):
    content = "Réf. interne;S/N;Genre\nX1;AB123;Portable\n".encode()
    job = services.job_create(staff, donation, upload("liste.csv", content))
    assert services.job_needs_columns(job)  # "Réf. interne" and "Genre" are unknown
    client.force_login(staff)
    client.post(
        reverse("intake:mapping", kwargs={"pk": job.pk}),
        {"colonne_0": "asset_tag", "colonne_1": "serial", "colonne_2": "kind"},
    )
    saved = SavedMapping.objects.get(organisation=refurbisher)
    assert saved.columns == {"ref interne": "asset_tag", "s/n": "serial", "genre": "kind"}
    # The donor's next file, columns in another order: no mapping screen.
    content = "Genre;S/N;Réf. interne\nPortable;AB124;X2\n".encode()
    second = services.job_create(staff, donation, upload("liste-2.csv", content))
    assert second.mapping == {"0": "kind", "1": "serial", "2": "asset_tag"}
    assert second.mapping_remembered and not services.job_needs_columns(second)
    # Another donor's file is not affected.
    other = Donation.objects.create(
        gisement=Gisement.objects.create(
            donor=OrganisationFactory(is_donor=True),
            refurbisher=refurbisher,
            donor_kind="entreprise",
            name="Autre",
        )
    )
    third = services.job_create(staff, other, upload("liste-3.csv", content))
    assert services.job_needs_columns(third) and not third.mapping_remembered


def test_an_unsure_header_is_chosen_by_the_user(client, staff, donation):
    """No row names the fields well enough: the mapping page asks which row is the header."""
    content = (
        "Liste des PC;;\nA;B;C\nMachine;Numéro;Sorte\nPC-1;SN001;Portable\nPC-2;SN002;Portable\n"
    ).encode()
    client.force_login(staff)
    response = client.post(
        reverse("intake:start"), {"donation": donation.pk, "file": upload("liste.csv", content)}
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("intake:mapping", kwargs={"pk": job.pk})
    assert not job.header_certain
    page = client.get(response["Location"]).content.decode()
    assert "Quelle ligne porte les titres des colonnes" in page
    assert 'value="3"' in page and "Machine" in page
    client.post(response["Location"], {"header_line": "3"})
    job.refresh_from_db()
    assert (job.header_line, job.header_certain, job.headers) == (
        3,
        True,
        ["Machine", "Numéro", "Sorte"],
    )
    assert job.total_rows == 2
    client.post(
        response["Location"], {"colonne_0": "notes", "colonne_1": "serial", "colonne_2": "kind"}
    )
    job.refresh_from_db()
    assert job.previewed and job.counts["new"] == 2
    assert job.rows.get(line=4).data["notes"] == "Machine : PC-1"


def test_a_sorted_donation_no_longer_accepts_an_import(staff, donation):
    job = preview(staff, donation, "glpi-export-utf8-bom.csv")
    Donation.objects.filter(pk=donation.pk).update(state=DonationState.SORTED)
    donation.refresh_from_db()
    assert not donation.accepts_devices
    with pytest.raises(services.IntakeError) as error:
        services.start_import(job, staff)
    assert error.value.code == "intake_donation_closed"
    assert "trié (clos)" in error.value.message
    with pytest.raises(services.IntakeError):
        services.job_create(staff, donation, upload("glpi-export-utf8-bom.csv"))
    assert not Device.objects.exists()


def test_a_donation_closed_while_the_import_waits_refuses_it_whole(staff, donation):
    job = preview(staff, donation, "glpi-export-utf8-bom.csv")
    # Started, then the donation closed before the worker took it.
    from intake.models import ImportJob as Job

    with TestCase.captureOnCommitCallbacks(execute=False):
        services.BACKGROUND_FROM, previous = 1, services.BACKGROUND_FROM
        try:
            services.start_import(job, staff)
        finally:
            services.BACKGROUND_FROM = previous
    Donation.objects.filter(pk=donation.pk).update(state=DonationState.CANCELLED)
    services.run_step(job.pk)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "failed" and "annulé" in job.error
    assert not Device.objects.exists()


def test_weight_and_numbers_in_french(staff, donation):
    content = (
        "N° de série;Type;Poids;Date d'achat;Mémoire\n"
        "A1;Portable;2,1;15/03/2019;8,5 Go\n"
        "A2;Portable;2100 g;2019-03-15;8\n"
        "A3;Portable;lourd;31/02/2019;8\n"
    ).encode()
    job = preview(staff, donation, "liste.csv", content)
    rows = {row.line: row for row in job.rows.all()}
    assert rows[2].data["weight_kg"] == rows[3].data["weight_kg"] == "2.10"
    assert rows[2].data["ram_gb"] == "8.5"
    assert rows[2].data["purchase_date"] == rows[3].data["purchase_date"] == "2019-03-15"
    assert "poids illisible : « lourd »" in rows[4].messages
    assert "date d'achat illisible : « 31/02/2019 »" in rows[4].messages
    import_valid(job, staff)
    assert Device.objects.get(serial="A1").weight_kg == Decimal("2.10")


def test_the_device_page_shows_what_the_list_said(client, staff, donation):
    import_valid(preview(staff, donation, "glpi-resaved-by-excel.xlsx"), staff)
    device = Device.objects.get(asset_tag="INV-2019-0003")
    client.force_login(staff)
    page = client.get(reverse("parc:device", args=[device.public_code])).content.decode()
    assert "INV-2019-0003" in page and "N° d'inventaire du donateur" in page
    assert "écrit « le9 123984 » par le donateur" in page
    assert f"{device.purchase_date:%d/%m/%Y}" in page
    assert "Poids" in page and " kg" in page
    assert "Nom : PC-003<br>" in page
