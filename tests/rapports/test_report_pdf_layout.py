"""The funder's PDF as printed: a first page of key figures with the period, the erasure
annex on landscape pages with every column on every page (once, « Fin », « Opérateur » and
« Destination » fell off the page from page 3 on), words never cut inside, and a chart whose
labels stay inside the picture."""

import hashlib
import re

import pypdfium2
import pytest
from django.urls import reverse

from parc.models import EvidenceFile
from rapports import charts, services
from rapports import tasks as _registered_tasks  # noqa: F401  (the job's task, as in a worker)
from rapports.chart_text import text_width
from rapports.models import ReportJob
from rapports.selectors import ANNEX_COLUMNS
from rapports.selectors.annex import operator_reference
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db

HEADERS = [str(label)[0].upper() + str(label)[1:] for _name, label in ANNEX_COLUMNS]


def pages_of(content: bytes) -> list[tuple[bool, str]]:
    """(landscape, text with single spaces) of every page."""
    document = pypdfium2.PdfDocument(content)
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            text = " ".join(page.get_textpage().get_text_range().split())
            pages.append((width > height, text))
            page.close()
        return pages
    finally:
        document.close()


@pytest.fixture
def long_annex(scenario):
    """60 more erasures of the scenario's first donation, with the tool's log kept as
    evidence (a 64-character checksum), long model names, sampling verification and another
    operator's name: enough rows for several annex pages, and the widest values."""
    donation = scenario["donations"][0]
    operator = scenario["operator"]
    device = DeviceFactory(owner=donation.gisement.refurbisher, donation=donation, kind="desktop")
    rows = []
    for index in range(60):
        medium = StorageMediumFactory(device=device, model=f"MZ7LN256HAJQ-000L{index:02d}")
        digest = hashlib.sha256(str(index).encode()).hexdigest()
        evidence = EvidenceFile.objects.create(
            device=device,
            kind="erasure_log",
            file=f"evidence/nwipe-{index}.txt",
            original_name=f"nwipe_log_20260110-0930{index:02d}.txt",
            size=1000,
            sha256=digest,
            uploaded_by=operator,
        )
        rows.append(
            ErasureRecordFactory(
                medium=medium,
                model=medium.model,
                verification="sample",
                destination="stock",
                operator=operator,
                evidence=evidence,
            )
        )
    return rows


def test_the_first_page_gives_the_key_figures_with_the_period(client, funder_user, scenario):
    client.force_login(funder_user)
    url = reverse("rapports:gisement_pdf", args=[scenario["gisement"].pk])
    response = client.get(url, {"du": "2026-01-01", "au": "2026-03-31"})
    first, *rest = pages_of(response.content)
    landscape, text = first
    assert not landscape
    assert "Période : dons reçus du 01/01/2026 au 31/03/2026" in text
    assert "Appareils reçus 17 dans 2 dons" in text
    # 4 sold, 1 given, 1 kept at the end of a loan, 2 on loan
    assert "Appareils réemployés 8 47,1 % des appareils reçus" in text
    assert "Foyers équipés 9" in text
    assert "Effacements certifiés 11 supports de stockage effacés ou détruits, sur 13" in text
    assert "Émissions évitées 1,3 t CO2e" in text  # 1,278.2 kg
    # The figures in detail start on the next page.
    assert "Appareils reçus par type" not in text
    assert "Appareils reçus par type" in rest[0][1]


def test_every_annex_page_is_landscape_with_every_column(client, funder_user, scenario, long_annex):
    client.force_login(funder_user)
    response = client.get(reverse("rapports:gisement_pdf", args=[scenario["gisement"].pk]))
    pages = pages_of(response.content)
    annex = [text for landscape, text in pages if landscape]
    assert len(annex) >= 3, "74 rows of the annex take several landscape pages"
    assert all(not landscape for landscape, _text in pages[: len(pages) - len(annex)])
    for number, text in enumerate(annex, start=1):
        missing = [header for header in HEADERS if header not in text]
        assert not missing, f"annex page {number} lacks {missing}"
    last_page = annex[-1]
    last = long_annex[-1]
    assert last.ended_at.astimezone().strftime("%d/%m/%Y") in last_page
    # The operator column is there too, as a funder reads it: a reference, not the name.
    refurbisher = scenario["gisement"].refurbisher
    reference = operator_reference(refurbisher.pk, scenario["operator"].pk, refurbisher.short_name)
    # (A PDF may break « RT-7K3QX » after its dash, which pdfium reads as U+FFFE.)
    assert f"Opérateur{reference}" in "".join(last_page.split()).replace("\ufffe", "-")
    assert "Sami" not in last_page
    assert "stock de pièces" in last_page
    # A checksum or a model number breaks inside itself to fit its column; a word never does.
    assert last.evidence.sha256 in "".join(last_page.split())
    assert last.evidence.original_name in "".join(last_page.split())
    assert "par échantillonnage" in last_page
    assert not re.search(r"échantillonn?a? ge|écha ntillonnage", last_page)


def test_the_full_pdf_made_in_the_background_has_the_same_annex(
    client, funder_user, scenario, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "ANNEX_ROWS_PER_PART", 5)  # 14 rows, laid out in 3 parts
    client.force_login(funder_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rapports:gisement_job", args=[scenario["gisement"].pk]))
    job = ReportJob.objects.get()
    response = client.get(reverse("rapports:job_file", args=[job.pk]))
    pages = pages_of(b"".join(response.streaming_content))
    annex = [text for landscape, text in pages if landscape]
    assert len(annex) >= 3  # one page per part at least
    assert "Appareils réemployés" in pages[0][1]
    for text in annex:
        assert all(header in text for header in HEADERS)


LONG_LABELS = [
    ("cédé : vendu à prix solidaire", 2),
    ("en cours (diagnostic, effacement, reconditionnement, retour)", 126),
    ("un libellé très long " * 8, 7),
    ("Anticonstitutionnellementanticonstitutionnellement", 1_234_567),
]


def test_chart_labels_stay_inside_the_picture():
    svg = str(charts.bar_chart("Devenir", LONG_LABELS))
    width = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg)[1])
    for x, size, text in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" font-size="(\d+)"[^>]*>([^<]*)<', svg
    ):
        assert float(x) + text_width(text, int(size)) <= width, text
    # A label that fits on two lines is whole; a longer one ends with "…".
    assert "en cours (diagnostic, effacement, reconditionnement, retour)" in svg
    assert "…" in svg
    assert "1\u202f234\u202f567" in svg
