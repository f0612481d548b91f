"""Label sheets: layout maths, QR codes that really decode on every format, the pages, the
background job, bad input, permissions and query budgets."""

import html
from collections import Counter
from urllib.parse import urlencode

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from core.jobs import JobStatus as LabelJobStatus
from parc.codes import generate_code
from parc.labels import sheets as label_sheets
from parc.labels.layouts import LAYOUTS, LabelLayout
from parc.labels.sheets import (
    MAX_COPIES,
    Label,
    LabelRequestError,
    check_options,
    device_url,
    label_for,
    plan_sheets,
    render_labels_pdf,
    run_label_job,
)
from parc.models import Device, DeviceKind, LabelJob
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import DonationFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db

DPI = 300
MM_PER_PX = 25.4 / DPI


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def make_labels(count: int, organisation: str = "RT") -> list[Label]:
    """Labels of unsaved devices: enough to render and decode, no database."""
    labels = []
    for index in range(count):
        code = generate_code()
        labels.append(
            Label(
                code=code,
                url=device_url(code),
                kind="Ordinateur portable",
                brand_model=f"Dell Latitude E54{index:02d}",
                organisation=organisation,
            )
        )
    return labels


def decode(pdf: bytes, layout: LabelLayout) -> list[list[tuple[int | None, str]]]:
    """Each page rasterised at 300 dpi and decoded: (cell under the code's centre, text)."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            image = page.render(scale=DPI / 72).to_pil()
            page.close()
            found = []
            for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                corners = barcode.position
                points = (
                    corners.top_left,
                    corners.top_right,
                    corners.bottom_left,
                    corners.bottom_right,
                )
                x = sum(p.x for p in points) / 4 * MM_PER_PX
                y = sum(p.y for p in points) / 4 * MM_PER_PX
                found.append((layout.cell_at(x, y), barcode.text))
            pages.append(sorted(found, key=lambda item: (item[0] is None, item[0] or 0)))
    finally:
        document.close()
    return pages


def expected_pages(labels, layout, *, start=1, copies=1):
    return [
        [(index, label.url) for index, label in sheet]
        for sheet in plan_sheets(labels, layout, start=start, copies=copies)
    ]


# --- layouts as data --------------------------------------------------------------------------


def test_the_formats_users_ask_for():
    sizes = {
        key: (layout.columns, layout.rows, layout.label_width, layout.label_height)
        for key, layout in LAYOUTS.items()
    }
    assert sizes == {
        "L7160": (3, 7, 63.5, 38.1),
        "L7163": (2, 7, 99.1, 38.1),
        "L7651": (5, 13, 38.1, 21.2),
        "QL62": (1, 1, 62, 29),
        "DYMO99012": (1, 1, 89, 36),
    }
    assert LAYOUTS["QL62"].continuous and LAYOUTS["DYMO99012"].continuous


@pytest.mark.parametrize("key", ["L7160", "L7163", "L7651"])
def test_avery_sheets_are_centred_on_a4(key):
    layout = LAYOUTS[key]
    right = layout.page_width - layout.left - (layout.columns - 1) * layout.pitch_x
    bottom = layout.page_height - layout.top - (layout.rows - 1) * layout.pitch_y
    assert right - layout.label_width == pytest.approx(layout.left, abs=0.01)
    assert bottom - layout.label_height == pytest.approx(layout.top, abs=0.01)


def test_cell_positions_follow_margins_and_pitch():
    layout = LAYOUTS["L7160"]
    assert layout.cells_per_sheet == 21
    assert layout.cell_position(0) == (7.25, 15.15)
    assert layout.cell_position(2) == (139.25, 15.15)
    assert layout.cell_position(3) == (7.25, 53.25)
    assert layout.cell_position(20) == (139.25, 243.75)
    assert layout.cell_at(10, 20) == 0
    assert layout.cell_at(80, 60) == 4
    assert layout.cell_at(71.5, 20) is None  # the gap between two columns
    with pytest.raises(IndexError):
        layout.cell_position(21)


def test_a_new_format_is_a_few_lines_and_is_checked():
    layout = LabelLayout(
        key="X", name="x", page_width=100, page_height=50, label_width=45, label_height=20,
        columns=2, rows=2, top=5, left=4, pitch_x=47, pitch_y=22,
    )  # fmt: skip
    assert layout.cells_per_sheet == 4
    assert layout.cell_position(3) == (51, 27)
    assert layout.text_width > 0 and layout.code_pt > 5
    with pytest.raises(ValueError, match="overflow"):
        LabelLayout(key="Y", name="y", page_width=100, page_height=50, label_width=60,
                    label_height=20, columns=2, pitch_x=61)  # fmt: skip
    with pytest.raises(ValueError, match="one label per page"):
        LabelLayout(key="Z", name="z", page_width=62, page_height=29, label_width=62,
                    label_height=29, rows=2, pitch_y=29, continuous=True)  # fmt: skip


@pytest.mark.parametrize("key", sorted(LAYOUTS))
def test_the_content_fits_the_label(key):
    layout = LAYOUTS[key]
    assert layout.text_left + layout.text_width <= layout.label_width - layout.padding + 0.01
    assert layout.qr_top + layout.qr_size <= layout.label_height
    assert layout.qr_size >= 18  # big enough for a phone camera at arm's length
    assert layout.code_pt >= 10


def test_start_position_leaves_blank_cells_and_copies_follow_each_other():
    a, b, c = make_labels(3)
    sheets = plan_sheets([a, b, c], LAYOUTS["L7160"], start=20, copies=2)
    assert sheets == [[(19, a), (20, a)], [(0, b), (1, b), (2, c), (3, c)]]


def test_a_roll_has_one_label_per_page():
    a, b = make_labels(2)
    assert plan_sheets([a, b], LAYOUTS["QL62"], copies=2) == [
        [(0, a)],
        [(0, a)],
        [(0, b)],
        [(0, b)],
    ]


def test_a_full_sheet_then_the_next():
    labels = make_labels(22)
    sheets = plan_sheets(labels, LAYOUTS["L7160"])
    assert [len(sheet) for sheet in sheets] == [21, 1]
    assert sheets[1] == [(0, labels[21])]


@pytest.mark.parametrize(
    ("key", "start", "copies", "count", "message"),
    [
        ("A4", 1, 1, 1, "Format d'étiquettes inconnu"),
        ("L7160", 0, 1, 1, "la position de départ va de 1 à 21"),
        ("L7160", 22, 1, 1, "la position de départ va de 1 à 21"),
        ("L7651", 66, 1, 1, "de 1 à 65"),
        ("QL62", 2, 1, 1, "Sur un rouleau"),
        ("L7160", 1, 0, 1, "de 1 à 20 par appareil"),
        ("L7160", 1, MAX_COPIES + 1, 1, "de 1 à 20 par appareil"),
        ("L7160", 1, 1, 0, "Aucun appareil sélectionné"),
        ("L7160", 1, 20, 251, "5020 étiquettes demandées"),
    ],
)
def test_options_are_checked_with_a_french_reason(key, start, copies, count, message):
    with pytest.raises(LabelRequestError, match=message):
        check_options(key, start=start, copies=copies, count=count)


# --- every QR code decodes, on every format ---------------------------------------------------


@pytest.mark.parametrize("key", sorted(LAYOUTS))
def test_every_qr_code_decodes_in_its_cell_on_every_format(key):
    layout = LAYOUTS[key]
    labels = make_labels(4)
    start = 1 if layout.continuous else 3
    pdf = render_labels_pdf(labels, layout, start=start, copies=2)
    pages = decode(pdf, layout)
    assert pages == expected_pages(labels, layout, start=start, copies=2)
    decoded = Counter(text for page in pages for _cell, text in page)
    assert decoded == Counter({label.url: 2 for label in labels})


def test_a_full_l7651_sheet_of_65_codes_decodes():
    layout = LAYOUTS["L7651"]
    labels = make_labels(65)
    pages = decode(render_labels_pdf(labels, layout), layout)
    assert len(pages) == 1
    assert pages == expected_pages(labels, layout)
    assert [text for _cell, text in pages[0]] == [label.url for label in labels]


def test_the_qr_code_holds_the_full_device_address(settings):
    settings.SITE_BASE_URL = "https://filiere.eure-et-loir.example"
    label = make_labels(1)[0]
    assert label.url == f"https://filiere.eure-et-loir.example/e/{label.code}/"


def test_progress_is_reported_after_each_group_of_sheets():
    seen = []
    render_labels_pdf(make_labels(50), LAYOUTS["L7160"], progress=seen.append, chunk_labels=42)
    assert seen == [42, 50]


def test_label_text_comes_from_the_device(refurbisher):
    device = DeviceFactory(owner=refurbisher, kind=DeviceKind.TABLET, brand="Apple", model="iPad")
    label = label_for(device)
    assert (label.code, label.kind, label.brand_model, label.organisation) == (
        device.public_code,
        "Tablette",
        "Apple iPad",
        "RT",
    )
    assert label.code_prefix == "FIL-" and label.code_body == device.public_code[4:]


# --- the pages --------------------------------------------------------------------------------


def labels_url(devices=(), **params):
    pairs = [("appareil", device.pk) for device in devices] + list(params.items())
    return f"{reverse('parc:labels')}?{urlencode(pairs)}"


def options(**overrides):
    return {"layout": "L7160", "start": 1, "copies": 1, **overrides}


def test_the_list_offers_labelled_check_boxes_and_the_filter(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    content = client.get(reverse("parc:list"), {"kind": "laptop"}).content.decode()
    assert f'<label for="coche-{device.pk}" class="visually-hidden">' in content
    assert f"Cocher {device.public_code}</label>" in content
    assert 'form="selection"' in content
    # The ticked rows' form prints their labels, or goes on to an action on them.
    assert f'formaction="{reverse("parc:labels")}"' in content
    assert f'href="{reverse("parc:labels")}?kind=laptop"' in content


def test_the_device_page_offers_a_reprint(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    content = client.get(reverse("parc:device", args=[device.public_code])).content.decode()
    assert f'href="{reverse("parc:labels")}?appareil={device.pk}"' in content
    assert "Réimprimer l'étiquette" in content


def test_ticked_devices_are_listed_before_printing(client, refurbisher, technician):
    devices = DeviceFactory.create_batch(3, owner=refurbisher)
    client.force_login(technician)
    response = client.get(labels_url(devices, selection="cochee"))
    assert response.status_code == 200
    assert response.context["selection"].ids == [d.pk for d in devices]
    for device in devices:
        assert device.public_code in response.content.decode()


def test_small_batch_comes_at_once_as_an_attachment(client, refurbisher, staff):
    devices = DeviceFactory.create_batch(3, owner=refurbisher)
    client.force_login(staff)
    response = client.post(labels_url(devices), options(copies=2, start=5))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="etiquettes-L7160-{day:%Y-%m-%d}.pdf"'
    )
    labels = [label_for(device) for device in devices]
    layout = LAYOUTS["L7160"]
    assert decode(response.content, layout) == expected_pages(labels, layout, start=5, copies=2)
    assert not LabelJob.objects.exists()


def test_the_list_filter_chooses_the_devices(client, refurbisher, technician):
    laptops = DeviceFactory.create_batch(2, owner=refurbisher, kind=DeviceKind.LAPTOP)
    DeviceFactory(owner=refurbisher, kind=DeviceKind.SCREEN)
    client.force_login(technician)
    page = client.get(labels_url(kind="laptop"))
    assert page.context["selection"].from_filter
    assert "2 appareils correspondent au filtre" in page.content.decode()
    response = client.post(labels_url(kind="laptop"), options(layout="L7163"))
    assert response["Content-Type"] == "application/pdf"
    decoded = [text for page in decode(response.content, LAYOUTS["L7163"]) for _c, text in page]
    # The list's order: newest first.
    assert decoded == [device_url(d.public_code) for d in reversed(laptops)]


def test_the_devices_of_a_donation_in_the_order_they_were_registered(
    client, refurbisher, other_refurbisher, technician, staff
):
    donation = DonationFactory(gisement__refurbisher=refurbisher, state="received")
    devices = DeviceFactory.create_batch(3, owner=refurbisher, donation=donation)
    DeviceFactory(owner=refurbisher)  # not of this donation
    # From the donation page, one click to the labels.
    client.force_login(technician)
    donation_page = client.get(reverse("www:donation", args=[donation.pk])).content.decode()
    url = f"{reverse('parc:labels')}?don={donation.pk}"
    assert f'href="{url}"' in donation_page
    page = client.get(url)
    assert page.context["selection"].ids == [d.pk for d in devices]
    content = page.content.decode()
    assert f"3 appareils enregistrés pour ce don (Don n° {donation.pk})" in content
    assert f'href="{reverse("www:donation", args=[donation.pk])}"' in content
    response = client.post(url, options(layout="L7651"))
    assert response["Content-Type"] == "application/pdf"
    decoded = [text for page in decode(response.content, LAYOUTS["L7651"]) for _c, text in page]
    assert decoded == [device_url(d.public_code) for d in devices]
    # Another organisation's donation does not exist for this user.
    foreign = DonationFactory(gisement__refurbisher=other_refurbisher)
    DeviceFactory(owner=other_refurbisher, donation=foreign)
    assert client.get(f"{reverse('parc:labels')}?don={foreign.pk}").status_code == 404
    assert client.post(f"{reverse('parc:labels')}?don={foreign.pk}", options()).status_code == 404


@pytest.mark.parametrize(
    ("don", "message"),
    [("abc", "Don invalide"), ("empty", "Aucun appareil n&#x27;est encore enregistré pour ce don")],
)
def test_a_donation_without_devices_gets_a_french_message(client, refurbisher, staff, don, message):
    empty = DonationFactory(gisement__refurbisher=refurbisher)
    client.force_login(staff)
    url = f"{reverse('parc:labels')}?don={empty.pk if don == 'empty' else don}"
    page = client.get(url)
    assert page.status_code == 200 and message in page.content.decode()
    response = client.post(url, options())
    assert response.status_code == 400
    assert not response.get("Content-Disposition")


def test_one_device_reprint_on_a_used_sheet(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    response = client.post(labels_url([device]), options(layout="L7651", start=65))
    pages = decode(response.content, LAYOUTS["L7651"])
    assert pages == [[(64, device_url(device.public_code))]]


# --- bad input: a French message, never a 500 ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (options(copies=1000), "inférieure ou égale à 20"),
        (options(copies="beaucoup"), "Saisissez un nombre entier"),
        (options(copies=-3), "supérieure ou égale à 1"),
        (options(start=22), "Cette planche compte 21 étiquettes"),
        (options(start="9" * 40), "inférieure ou égale à 65"),
        (options(layout="QL62", start=2), "Sur un rouleau"),
        (options(layout="A4-maison"), "Sélectionnez un choix valide"),
    ],
)
def test_bad_options_get_a_french_message(client, refurbisher, staff, data, message):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(staff)
    response = client.post(labels_url([device]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "corrigez le formulaire" in " ".join(messages_of(response))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("selection=cochee", "Aucun appareil sélectionné"),
        ("appareil=abc", "Sélection d&#x27;appareils invalide"),
        ("appareil=0", "Sélection d&#x27;appareils invalide"),
        ("kind=laptop&state=nimporte", "Ce filtre n&#x27;est pas valide"),
        ("kind=printer", "Aucun appareil ne correspond à ce filtre"),
    ],
)
def test_bad_selections_get_a_french_message(client, refurbisher, staff, query, message):
    DeviceFactory(owner=refurbisher)
    client.force_login(staff)
    url = f"{reverse('parc:labels')}?{query}"
    page = client.get(url)
    assert page.status_code == 200
    assert message in page.content.decode()
    response = client.post(url, options())
    assert response.status_code == 400
    assert not response.get("Content-Disposition")


def test_too_many_labels_are_refused(client, refurbisher, staff, monkeypatch):
    monkeypatch.setattr(label_sheets, "MAX_LABELS", 10)
    devices = DeviceFactory.create_batch(6, owner=refurbisher)
    client.force_login(staff)
    response = client.post(labels_url(devices), options(copies=2))
    assert response.status_code == 400
    assert "12 étiquettes demandées" in " ".join(messages_of(response))


def test_a_device_of_another_organisation_is_refused_not_skipped(
    client, refurbisher, other_refurbisher, staff
):
    mine = DeviceFactory(owner=refurbisher)
    theirs = DeviceFactory(owner=other_refurbisher)
    client.force_login(staff)
    url = labels_url([mine, theirs])
    page = client.get(url).content.decode()
    assert "1 appareil de la sélection n&#x27;existe pas ou appartient à une autre" in page
    assert theirs.public_code not in page
    response = client.post(url, options())
    assert response.status_code == 400
    assert "aucune étiquette n'a été préparée" in " ".join(messages_of(response))
    nonexistent = f"{reverse('parc:labels')}?appareil={mine.pk}&appareil=999999"
    assert client.post(nonexistent, options()).status_code == 400


def test_the_service_takes_ids_from_any_source(refurbisher, staff, other_refurbisher):
    devices = DeviceFactory.create_batch(2, owner=refurbisher)
    outcome = label_sheets.request_labels(
        staff, [devices[1].pk, devices[0].pk, devices[1].pk], layout_key="DYMO99012"
    )
    assert outcome.total == 2 and outcome.pdf.startswith(b"%PDF")
    with pytest.raises(LabelRequestError):
        label_sheets.request_labels(
            staff, [DeviceFactory(owner=other_refurbisher).pk], layout_key="L7160"
        )


def test_people_without_a_pool_cannot_print(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("parc:labels")).status_code == 403
    assert client.post(reverse("parc:labels"), options()).status_code == 403


def test_printing_needs_a_login(client):
    response = client.get(reverse("parc:labels"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- large batches: background job ---------------------------------------------------------------


def test_a_large_batch_runs_in_the_background(
    client, refurbisher, staff, django_capture_on_commit_callbacks
):
    devices = DeviceFactory.create_batch(100, owner=refurbisher)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(labels_url(devices), options(copies=2))
    job = LabelJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("parc:label_job", args=[job.pk])
    assert (job.status, job.done, job.total) == (LabelJobStatus.DONE, 200, 200)
    assert job.organisation == refurbisher and job.requested_by == staff
    assert job.options == {"start": 1, "copies": 2}
    assert job.device_ids == [d.pk for d in devices]
    assert job.finished_at is not None

    page = client.get(response["Location"])
    content = page.content.decode()
    assert '<progress id="job-bar" max="200" value="200">' in content
    assert "hx-trigger" not in content
    assert reverse("parc:label_job_pdf", args=[job.pk]) in content

    download = client.get(reverse("parc:label_job_pdf", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    pdf = b"".join(download.streaming_content)
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 10  # 200 labels, 21 a sheet
    document.close()


def make_job(user, organisation, **fields):
    if fields.get("status") == LabelJobStatus.RUNNING:
        # A worker at work beats (core.jobs): without a sign of life the job is dead.
        fields.setdefault("started_at", timezone.now())
        fields.setdefault("heartbeat_at", timezone.now())
    return LabelJob.objects.create(
        organisation=organisation,
        requested_by=user,
        layout="L7160",
        total=fields.pop("total", 400),
        **fields,
    )


def test_the_job_page_shows_progress_and_polls_until_done(client, refurbisher, staff):
    job = make_job(staff, refurbisher, status=LabelJobStatus.RUNNING, done=105)
    client.force_login(staff)
    content = client.get(reverse("parc:label_job", args=[job.pk])).content.decode()
    assert '<progress id="job-bar" max="400" value="105">' in content
    assert "105 étiquettes sur 400 (26 %)" in content
    assert 'hx-trigger="every 1s"' in content
    assert '<p id="job-announce" class="visually-hidden" role="status"></p>' in content
    assert "<script" not in content.split("</head>")[1]

    poll = client.get(reverse("parc:label_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert poll.templates[0].name == "core/_job_progress.html"
    assert 'hx-trigger="every 1s"' in poll.content.decode()
    assert "hx-swap-oob" not in poll.content.decode()

    LabelJob.objects.filter(pk=job.pk).update(done=400)
    poll = client.get(reverse("parc:label_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert "écriture du fichier" in poll.content.decode()

    LabelJob.objects.filter(pk=job.pk).update(status=LabelJobStatus.DONE, done=400)
    poll = client.get(reverse("parc:label_job", args=[job.pk]), headers={"HX-Request": "true"})
    content = poll.content.decode()
    assert "hx-trigger" not in content
    assert 'hx-swap-oob="innerHTML:#job-announce"' in content
    assert "Les étiquettes sont prêtes" in content


def test_another_organisation_gets_a_404_for_a_job(client, refurbisher, staff, outsider):
    job = make_job(staff, refurbisher, status=LabelJobStatus.DONE, done=400)
    client.force_login(outsider)
    assert client.get(reverse("parc:label_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("parc:label_job_pdf", args=[job.pk])).status_code == 404


def test_a_colleague_of_the_same_organisation_sees_the_job(client, refurbisher, staff, technician):
    job = make_job(staff, refurbisher)
    client.force_login(technician)
    assert client.get(reverse("parc:label_job", args=[job.pk])).status_code == 200


def test_no_download_before_the_pdf_is_ready(client, refurbisher, staff):
    job = make_job(staff, refurbisher, status=LabelJobStatus.RUNNING)
    client.force_login(staff)
    assert client.get(reverse("parc:label_job_pdf", args=[job.pk])).status_code == 404


def test_a_failed_job_says_so(client, refurbisher, staff, monkeypatch):
    device = DeviceFactory(owner=refurbisher)
    job = make_job(staff, refurbisher, device_ids=[device.pk], options={"copies": 1}, total=1)

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(label_sheets, "render_labels_pdf", broken)
    run_label_job(job.pk)
    job.refresh_from_db()
    # The user reads what to do; the cause goes to the log, not to the page.
    assert job.status == LabelJobStatus.FAILED and "disque plein" not in job.error
    client.force_login(staff)
    content = html.unescape(client.get(reverse("parc:label_job", args=[job.pk])).content.decode())
    assert "Le traitement a échoué. Relancez-le" in content
    assert reverse("parc:label_job_restart", args=[job.pk]) in content
    assert "hx-trigger" not in content
    poll = client.get(reverse("parc:label_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert "La préparation des étiquettes a échoué." in poll.content.decode()


def test_a_job_whose_worker_died_is_failed_and_restarts(
    client, refurbisher, staff, outsider, settings, django_capture_on_commit_callbacks
):
    settings.JOB_HEARTBEAT_TIMEOUT_S = 60
    devices = DeviceFactory.create_batch(3, owner=refurbisher)
    long_ago = timezone.now() - timezone.timedelta(minutes=10)
    job = make_job(
        staff,
        refurbisher,
        status=LabelJobStatus.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        device_ids=[d.pk for d in devices],
        options={"copies": 1},
        total=3,
        done=1,
    )
    client.force_login(staff)
    # Not « en cours » forever: the page finds the worker silent and says so.
    content = html.unescape(client.get(reverse("parc:label_job", args=[job.pk])).content.decode())
    job.refresh_from_db()
    assert job.status == LabelJobStatus.FAILED
    assert "Le traitement s'est interrompu" in content and "hx-trigger" not in content
    restart = reverse("parc:label_job_restart", args=[job.pk])
    assert restart in content

    client.force_login(outsider)
    assert client.post(restart).status_code == 404
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(restart)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (LabelJobStatus.DONE, 3, 1)
    assert client.get(reverse("parc:label_job_pdf", args=[job.pk])).status_code == 200


def test_a_job_runs_once(refurbisher, staff, monkeypatch):
    job = make_job(staff, refurbisher, status=LabelJobStatus.DONE, done=400)
    monkeypatch.setattr(label_sheets, "render_labels_pdf", pytest.fail)
    run_label_job(job.pk)  # a redelivered task leaves a finished job alone
    job.refresh_from_db()
    assert job.status == LabelJobStatus.DONE


def test_the_job_belongs_to_the_organisation_owning_most_devices(
    refurbisher, other_refurbisher, django_capture_on_commit_callbacks
):
    departement = OrganisationFactory(name="Département", is_coordinator=True)
    coordinator = UserFactory(username="coord")
    MembershipFactory(user=coordinator, organisation=departement, role="admin")
    ids = [d.pk for d in DeviceFactory.create_batch(120, owner=other_refurbisher)]
    ids += [d.pk for d in DeviceFactory.create_batch(80, owner=refurbisher)]
    with django_capture_on_commit_callbacks(execute=False):
        outcome = label_sheets.request_labels(coordinator, ids, layout_key="L7651")
    assert outcome.job.organisation == other_refurbisher
    assert outcome.job.status == LabelJobStatus.PENDING


# --- query budgets: the same for 3 and 30 devices -----------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_label_request_query_budget(
    count, client, refurbisher, staff, django_assert_max_num_queries
):
    devices = DeviceFactory.create_batch(count, owner=refurbisher)
    client.force_login(staff)
    with django_assert_max_num_queries(6):
        page = client.get(labels_url(devices))
    assert page.context["selection"].count == count
    with django_assert_max_num_queries(6):
        response = client.post(labels_url(devices), options())
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("count", [3, 30])
def test_filter_request_query_budget(
    count, client, refurbisher, staff, django_assert_max_num_queries
):
    DeviceFactory.create_batch(count, owner=refurbisher)
    client.force_login(staff)
    with django_assert_max_num_queries(8):
        response = client.post(labels_url(kind="laptop"), options())
    assert response["Content-Type"] == "application/pdf"
    assert Device.objects.count() == count
