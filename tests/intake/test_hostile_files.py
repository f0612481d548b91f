"""Uploads that must not exhaust the server (issue 17): a zip bomb, a million rows, DTDs and
entities (billion laughs, XXE), a huge cell, a truncated archive or sheet, too many columns.
Each hostile file is built here; each is refused with a French message before anything is
stored, and through the page as a 400."""

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dons.models import Donation, Gisement
from intake import reading, services
from intake.errors import IntakeError
from intake.models import ImportJob
from tests.acteurs.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def donation(refurbisher):
    gisement = Gisement.objects.create(
        donor=OrganisationFactory(is_donor=True),
        refurbisher=refurbisher,
        donor_kind="entreprise",
        name="Dons",
    )
    return Donation.objects.create(gisement=gisement)


def workbook_bytes(rows=(("N° de série", "Type"), ("SN1", "Portable"))) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_with(parts: dict, base: bytes | None = None) -> bytes:
    """A real workbook with some parts replaced or added: bytes, or a function writing the
    part into an open (streamed, compressed) member."""
    source = zipfile.ZipFile(io.BytesIO(base or workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename not in parts:
                target.writestr(item, source.read(item.filename))
        for name, content in parts.items():
            if callable(content):
                with target.open(name, "w", force_zip64=True) as member:
                    content(member)
            else:
                target.writestr(name, content)
    return out.getvalue()


def sheet_xml(rows_xml: str) -> bytes:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>'.encode()


def refused(staff, donation, content: bytes, name="liste.xlsx") -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(IntakeError) as error:
        services.job_create(staff, donation, SimpleUploadedFile(name, content))
    elapsed = time.perf_counter() - started
    assert not ImportJob.objects.exists()
    return error.value.message, elapsed


def one_huge_cell(size: int):
    def write(member):
        member.write(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode())
        member.write(b'<c r="A1" t="inlineStr"><is><t>')
        chunk = b"A" * 2**20
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(b"</t></is></c></row></sheetData></worksheet>")

    return write


def test_openpyxl_parses_with_defusedxml():
    """openpyxl switches to defusedxml when it is installed: its parsers are defusedxml's."""
    import defusedxml.ElementTree
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__ == defusedxml.ElementTree.iterparse.__module__


def test_a_zip_bomb_is_refused_from_its_declared_size(staff, donation):
    """100 MB of one cell, compressed to about 100 KB: refused before anything is read."""
    content = xlsx_with({SHEET: one_huge_cell(100 * 2**20)})
    assert len(content) < 200_000
    message, elapsed = refused(staff, donation, content)
    assert "Une fois décompressé, ce classeur ferait 100,0 Mo" in message
    assert "la limite est de 80 Mo" in message
    assert elapsed < 1


def test_a_huge_cell_under_the_size_limit_is_refused_while_streaming(staff, donation):
    content = xlsx_with({SHEET: one_huge_cell(6 * 2**20)})
    message, _elapsed = refused(staff, donation, content)
    assert "Une cellule du fichier (cellule A1) dépasse 5\u00a0000 caractères" in message


def test_a_huge_shared_string_is_refused(staff, donation):
    strings = (
        f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>{"x" * 6000}</t></si></sst>'
    ).encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    content = xlsx_with({SHEET: sheet_xml(rows), "xl/sharedStrings.xml": strings})
    message, _elapsed = refused(staff, donation, content)
    assert "texte n° 1 du classeur" in message and "5\u00a0000 caractères" in message


def test_a_million_rows_are_refused_once_past_the_limit(staff, donation):
    def write(member):
        member.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
        for start in range(1, 1_000_001, 10_000):
            member.write(
                "".join(
                    f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
                    for n in range(start, start + 10_000)
                ).encode()
            )
        member.write(b"</sheetData></worksheet>")

    content = xlsx_with({SHEET: write})
    assert len(content) < services.MAX_FILE_BYTES
    message, elapsed = refused(staff, donation, content)
    assert "plus de 50\u00a0000 lignes" in message
    assert elapsed < 5  # 34 s of CPU before, for the whole file


def test_one_cell_far_below_is_refused_without_walking_the_empty_rows(staff, donation):
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>N° de série</t></is></c></row>'
        '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    )
    message, elapsed = refused(staff, donation, xlsx_with({SHEET: sheet_xml(rows)}))
    assert "plus de 50\u00a0000 lignes" in message and elapsed < 1


def test_a_cell_beyond_the_column_limit_is_refused(staff, donation):
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'
    message, _elapsed = refused(staff, donation, xlsx_with({SHEET: sheet_xml(rows)}))
    assert "au-delà de la colonne 100 (cellule XFD1)" in message


def test_a_declared_size_does_not_pad_the_rows(staff, donation):
    """A sheet that declares A1:XFD1048576 but holds two rows is read as two short rows."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>N° de série</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Type</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>SN1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>Portable</t></is></c></row>'
    )
    xml = sheet_xml(rows).replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    job = services.job_create(
        staff, donation, SimpleUploadedFile("l.xlsx", xlsx_with({SHEET: xml}))
    )
    assert job.total_rows == 1
    assert list(reading.iter_rows(job)) == [(2, ["SN1", "Portable"])]


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<sst xmlns="{MAIN}"><si><t>&lol3;</t></si></sst>'
).encode()
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<sst xmlns="{MAIN}"><si><t>&xxe;</t></si></sst>'
).encode()
DTD_ONLY = f'<?xml version="1.0"?><!DOCTYPE workbook><workbook xmlns="{MAIN}"/>'.encode()


@pytest.mark.parametrize(
    "part, content",
    [
        ("xl/sharedStrings.xml", BILLION_LAUGHS),
        ("xl/sharedStrings.xml", XXE),
        ("xl/workbook.xml", DTD_ONLY),
        ("docProps/custom.xml", XXE),
    ],
)
def test_dtds_and_entities_are_refused(staff, donation, part, content):
    message, _elapsed = refused(staff, donation, xlsx_with({part: content}))
    assert "déclaration XML interdite (DTD ou entité)" in message


def test_a_truncated_archive_is_refused(staff, donation):
    content = workbook_bytes()
    message, _elapsed = refused(staff, donation, content[: len(content) * 2 // 3])
    assert "abîmé ou incomplet" in message


def test_a_truncated_sheet_is_refused(staff, donation):
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>N° de série</t></is></c></row><row r="2'
    xml = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}'.encode()
    message, _elapsed = refused(staff, donation, xlsx_with({SHEET: xml}))
    assert "abîmé ou incomplet" in message


def test_a_member_whose_data_does_not_match_its_checksum_is_refused(staff, donation):
    content = bytearray(xlsx_with({SHEET: sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')}))
    # Corrupt the compressed bytes of the sheet (its local header names it).
    start = content.index(SHEET.encode()) + len(SHEET) + 4
    content[start : start + 8] = b"\x00" * 8
    message, _elapsed = refused(staff, donation, bytes(content))
    assert "abîmé ou incomplet" in message


def test_a_huge_csv_cell_is_refused(staff, donation):
    content = ("N° de série;Type\nSN1;" + "x" * 200_000 + "\n").encode()
    message, _elapsed = refused(staff, donation, content, "liste.csv")
    assert "dépasse 5\u00a0000 caractères" in message
    content = ("N° de série;Type\nSN1;" + "x" * 6_000 + "\n").encode()
    message, _elapsed = refused(staff, donation, content, "liste.csv")
    assert "(ligne 2) dépasse 5\u00a0000 caractères" in message


def test_too_many_csv_rows_or_columns_are_refused(staff, donation, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 100)
    content = ("N° de série;Type\n" + "".join(f"S{n};Portable\n" for n in range(101))).encode()
    message, _elapsed = refused(staff, donation, content, "liste.csv")
    assert "plus de 100 lignes" in message
    content = ("N° de série;Type\n" + "SN1;Portable" + ";x" * 150 + "\n").encode()
    message, _elapsed = refused(staff, donation, content, "liste.csv")
    assert "au-delà de la colonne 100 (ligne 2)" in message


def test_hostile_uploads_are_a_french_400_on_the_page(client, staff, donation):
    client.force_login(staff)
    for content in (
        xlsx_with({SHEET: one_huge_cell(100 * 2**20)}),
        xlsx_with({"xl/sharedStrings.xml": XXE}),
        workbook_bytes()[:900],
    ):
        response = client.post(
            reverse("intake:start"),
            {"donation": donation.pk, "file": SimpleUploadedFile("liste.xlsx", content)},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "classeur" in page
    assert not ImportJob.objects.exists()


def test_the_mapping_page_shows_a_bounded_preview(client, staff, donation):
    """A file at the limits (100 columns, cells of 4,000 characters): the page shows short
    examples and the first columns of the header choice, not the cells."""
    header = ["N° de série", "Type"] + [f"Colonne inconnue {n}" for n in range(98)]
    cell = "y" * 4_000
    rows = [header] + [[f"SN{n}", "Portable"] + [cell] * 98 for n in range(5)]
    content = "\n".join(";".join(row) for row in rows).encode()
    job = services.job_create(staff, donation, SimpleUploadedFile("large.csv", content))
    client.force_login(staff)
    page = client.get(reverse("intake:mapping", kwargs={"pk": job.pk}) + "?entetes=1")
    assert page.status_code == 200
    assert len(page.content) < 300_000
    assert cell not in page.content.decode()
    assert "y" * 39 + "…" in page.content.decode()
