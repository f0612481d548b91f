"""Property-based tests of the donor-list import (hypothesis), on arbitrary bytes and on real
lists mutated (the GLPI export, the Excel re-save with its sheet XML edited): whatever the
file, a French refusal, or a preview whose counts add up and an import that writes every valid
row or none — never an exception escaping as a 500, never the generic failure of a bug."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dons.models import Donation, Gisement
from intake import services
from intake.errors import IntakeError
from intake.models import ImportJob, ImportOutcome
from parc.models import Device
from tests.acteurs.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "intake"
# What a message must never show: Python's, the csv module's or the XML parser's own English.
ENGLISH = re.compile(
    r"(?i:error|traceback|expected|codec|field limit|not well-formed|invalid|object|none\b)"
)
# The kernel's message for an exception nobody turned into a refusal: a bug.
GENERIC_FAILURE = "Le traitement a échoué"
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GLPI = b"".join((FIXTURES / "glpi-export-utf8-bom.csv").read_bytes().splitlines(keepends=True)[:31])
EXCEL = (FIXTURES / "glpi-resaved-by-excel.xlsx").read_bytes()
SIGNIFICANT = [b'"', b";", b",", b"\t", b"\n", b"\r\n", b"\x00", b"'", b"=", b"-", b" "]
SIGNIFICANT += [b"\xff", b"\xe9", "é".encode(), b"\xef\xbb\xbf", b"<", b">", b"&", b"/"]
SIGNIFICANT += [b"<!DOCTYPE x>", b"&lol;", b'<c r="XFD9">', b"9999999", b"Serveur"]


@pytest.fixture
def team(refurbisher, staff):
    gisement = Gisement.objects.create(
        donor=OrganisationFactory(is_donor=True),
        refurbisher=refurbisher,
        donor_kind="entreprise",
        name="Dons",
    )
    return staff, Donation.objects.create(gisement=gisement)


def check_import(team, content: bytes, name: str) -> None:
    """The properties, for one file; every example rolled back afterwards."""
    user, donation = team
    with transaction.atomic():
        try:
            job = services.job_create(user, donation, SimpleUploadedFile(name, content))
        except IntakeError as refusal:
            assert refusal.message and not ENGLISH.search(refusal.message), refusal.message
            assert not ImportJob.objects.exists()
        else:
            check_preview_and_import(user, job)
        transaction.set_rollback(True)


def check_preview_and_import(user, job) -> None:
    assert job.total_rows > 0
    if services.job_needs_columns(job):
        return  # the mapping screen asks: nothing more happens without the user
    services.start_analysis(user, job)
    job.refresh_from_db()
    if not job.previewed:
        assert job.status == "failed" and GENERIC_FAILURE not in job.error, job.error
        assert not ENGLISH.search(job.error), job.error
        return
    counts = job.counts
    assert sum(counts.values()) == job.rows.count() <= job.total_rows
    for messages in job.rows.filter(outcome=ImportOutcome.ERROR).values_list("messages", flat=True):
        assert messages
    assert not Device.objects.exists()
    try:
        services.start_import(job, user)
    except IntakeError as refusal:
        assert refusal.code == "intake_nothing_to_import" and not counts["new"]
        return
    job.refresh_from_db()
    if job.imported:
        assert job.created_count == counts["new"] == Device.objects.count()
    else:
        # Refused whole (a serial that collides once canonical…): nothing written.
        assert GENERIC_FAILURE not in job.error, job.error
        assert not Device.objects.exists()


@st.composite
def mutated(draw, source: bytes):
    content = bytearray(source)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(content)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        piece = draw(st.sampled_from(SIGNIFICANT) | st.binary(min_size=1, max_size=4))
        if action == "insert":
            content[position:position] = piece
        elif action == "delete":
            del content[position : position + draw(st.integers(min_value=1, max_value=40))]
        elif action == "replace":
            content[position : position + len(piece)] = piece
        else:
            del content[position:]
    return bytes(content)


def with_sheet(sheet: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(EXCEL))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item.filename, data)
    return out.getvalue()


SHEET = zipfile.ZipFile(io.BytesIO(EXCEL)).read("xl/worksheets/sheet1.xml")
# The first 20 rows of the sheet: short enough for many examples.
SHEET_HEAD = SHEET[: SHEET.index(b'<row r="26"')] + b"</sheetData></worksheet>"


TEXT_CELL = re.compile(rb"<t>([^<]*)</t>")
CELL_VALUES = st.sampled_from(
    [
        "",
        " ",
        "=1+1",
        "'=cmd",
        "Serveur",
        "portable",
        "8,5 Go",
        "2,1 kg",
        "1.23457E+11",
        "31/02/2019",
        "45000",
        "SSD 256 Go + HDD 1 To",
        "aucun",
        "é" * 120,
    ]
) | st.text(max_size=30)


@st.composite
def mutated_cells(draw):
    """The Excel re-save's first rows with some text cells given other values (escaped):
    well-formed sheets, whatever their values."""
    sheet = SHEET_HEAD
    cells = list(TEXT_CELL.finditer(sheet))
    chosen = draw(st.lists(st.sampled_from(range(len(cells))), min_size=1, max_size=8))
    for index in sorted(set(chosen), reverse=True):
        match = cells[index]
        value = draw(CELL_VALUES)
        text = "".join(c for c in value if c.isprintable())
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        sheet = sheet[: match.start(1)] + text.encode() + sheet[match.end(1) :]
    return sheet


@SETTINGS
@given(content=st.binary(max_size=3000))
def test_arbitrary_bytes(team, content):
    check_import(team, content, "liste.csv")


@SETTINGS
@given(content=st.binary(max_size=2000))
def test_arbitrary_bytes_named_xlsx_or_starting_as_a_zip(team, content):
    check_import(team, b"PK\x03\x04" + content, "liste.xlsx")


@SETTINGS
@given(content=mutated(GLPI))
def test_mutated_glpi_exports(team, content):
    check_import(team, content, "glpi.csv")


@SETTINGS
@given(sheet=mutated(SHEET_HEAD))
def test_mutated_excel_sheets(team, sheet):
    check_import(team, with_sheet(sheet), "glpi.xlsx")


@SETTINGS
@given(sheet=mutated_cells())
def test_excel_sheets_with_other_cell_values(team, sheet):
    check_import(team, with_sheet(sheet), "glpi.xlsx")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=mutated(EXCEL))
def test_mutated_xlsx_bytes(team, content):
    check_import(team, content, "glpi.xlsx")


def test_the_unmutated_excerpts_preview_as_expected(team):
    """The baselines of the mutations."""
    user, donation = team
    job = services.job_create(user, donation, SimpleUploadedFile("glpi.csv", GLPI))
    services.start_analysis(user, job)
    job.refresh_from_db()
    assert job.counts == {"new": 29, "existing": 0, "error": 0}  # one cell over two lines
    job = services.job_create(user, donation, SimpleUploadedFile("g.xlsx", with_sheet(SHEET_HEAD)))
    services.start_analysis(user, job)
    job.refresh_from_db()
    assert job.counts == {"new": 20, "existing": 0, "error": 0}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=mutated(GLPI) | st.binary(max_size=500))
def test_the_pages_never_answer_500(client, team, content):
    user, donation = team
    client.force_login(user)
    with transaction.atomic():
        response = client.post(
            reverse("intake:start"),
            {"donation": donation.pk, "file": SimpleUploadedFile("liste.csv", content)},
        )
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            page = client.get(response["Location"])
            assert page.status_code == 200
            job = ImportJob.objects.get()
            if job.previewed and job.counts.get("new"):
                assert client.post(reverse("intake:import", args=[job.pk])).status_code == 302
                assert client.get(reverse("intake:job", args=[job.pk])).status_code == 200
            if job.previewed and job.counts.get("error"):
                assert client.get(reverse("intake:rejected", args=[job.pk])).status_code == 200
        transaction.set_rollback(True)
