"""A technician on a phone attaches a real 4.3 MB nwipe log (7,000 rounds on a loop device,
the size that used to fail at the confirmation step) to a device that has no storage medium
on record: upload, confirm on step 2 (the medium is created from the log), the erasure is
recorded, the log is listed in « Justificatifs » with its SHA-256 and downloads unchanged.

Real Chromium against the live server; every page passes axe-core and does not scroll
sideways.
"""

import gzip
import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from parc.models import ErasureRecord, EvidenceFile, StorageMedium
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.browser.test_workshop_phone import PASSWORD, assert_no_horizontal_scroll
from tests.parc.factories import DeviceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOG = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "nwipe"
    / "nwipe-0.33-zero-7000rounds-loop.log.gz"
)


@pytest.mark.submits("parc:erasure_log", "parc:erasure_log_confirm")
def test_technician_attaches_a_4_mb_nwipe_log_on_a_phone(
    live_server, page, axe_check, screenshot, tmp_path
):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    technician = UserFactory(username="theo", first_name="Théo")
    MembershipFactory(user=technician, organisation=org, role="technician")
    device = DeviceFactory(owner=org, state="triage", brand="Dell", model="Latitude E7450")
    raw = gzip.decompress(LOG.read_bytes())
    assert len(raw) > 4 * 1024 * 1024
    log_file = tmp_path / "nwipe_log_20261203.txt"
    log_file.write_bytes(raw)
    device_url = f"{live_server.url}/e/{device.public_code}/"

    page.goto(device_url)
    page.get_by_label("Identifiant").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page).to_have_url(device_url)

    page.get_by_role("link", name="Joindre un journal d'effacement nwipe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Joindre un journal d'effacement nwipe"
    )
    assert_no_horizontal_scroll(page)
    axe_check(page, "erasure log, step 1")
    page.get_by_label("Journal nwipe").set_input_files(str(log_file))
    page.get_by_role("button", name="Lire le journal").click()

    # Step 2: the log stayed on the server; its disk is proposed as a new medium.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirmer les effacements du journal"
    )
    staged = EvidenceFile.objects.get()
    assert staged.is_staged and staged.size == len(raw)
    assert re.search(rf"/journal-effacement/{staged.pk}/$", page.url)
    expect(page.get_by_text(staged.sha256)).to_be_visible()
    choice = page.get_by_label("Support de l'appareil")
    expect(choice).to_have_value("creer")
    assert not StorageMedium.objects.filter(device=device).exists()
    assert_no_horizontal_scroll(page)
    axe_check(page, "erasure log, step 2")
    screenshot(page, "erasure-log-confirm")
    page.get_by_role("button", name="Enregistrer les effacements").click()

    expect(page).to_have_url(device_url)
    expect(page.get_by_role("status")).to_contain_text("1 effacement enregistré")
    medium = StorageMedium.objects.get(device=device)
    record = ErasureRecord.objects.get()
    assert record.medium == medium and record.result == "erased" and record.evidence == staged
    evidence_section = page.locator(
        "section", has=page.get_by_role("heading", name="Justificatifs")
    )
    expect(evidence_section).to_contain_text("nwipe_log_20261203.txt")
    expect(evidence_section).to_contain_text(hashlib.sha256(raw).hexdigest())
    assert_no_horizontal_scroll(page)
    axe_check(page, "device page with its evidence")
    screenshot(page, "device-evidence")

    with page.expect_download() as download_info:
        evidence_section.get_by_role("link", name=re.compile("Télécharger")).click()
    download = download_info.value
    assert download.suggested_filename == "nwipe_log_20261203.txt"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == staged.sha256
