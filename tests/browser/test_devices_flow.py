"""Devices at the workshop, in Chromium:

- a staff member registers a laptop by hand at a desk, moves it to a shelf, attaches its
  hardware report (lshw JSON) and the agent's bundle, adds a disk on the wipe page and prints
  its label;
- a donor's list whose columns are not recognised, on a phone: the columns are chosen by
  hand, the preview fails and is restarted, is made again, the valid rows are imported and
  their labels printed;
- a label sheet whose preparation failed is restarted from its page.

Every form is sent as a person sends it (files with set_input_files); the French answer is
read on the page and the rows are checked in the database."""

import base64
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from intake.models import ImportJob
from parc.models import Device, DeviceEvent, LabelJob, StorageMedium
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import StockLocationFactory

from .conftest import log_in, open_menu
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LSHW = FIXTURES / "hardware" / "lshw-handwritten-latitude-5490-nvme-hdd.json"


@pytest.fixture
def workshop(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    staff = UserFactory(username="ines", first_name="Inès", last_name="Martin")
    MembershipFactory(user=staff, organisation=org, role="staff")
    StockLocationFactory(organisation=org, name="Établi 1")
    StockLocationFactory(organisation=org, name="Étagère B")
    return org, staff


def _bundle(tmp_path, code: str) -> Path:
    content = {
        "format": "filiere-agent-bundle",
        "code": code,
        "collected_at": "2026-12-03T10:15:00+00:00",
        "smartctl": [json.loads((FIXTURES / "agent/laptop/smartctl-sda.json").read_text())],
        "nwipe_log_base64": base64.b64encode(
            (FIXTURES / "nwipe/nwipe-0.33-dodshort-two-loops-vm.serials-edited.log").read_bytes()
        ).decode(),
    }
    path = tmp_path / f"filiere-{code}.json"
    path.write_text(json.dumps(content))
    return path


@pytest.mark.submits(
    "parc:register",
    "parc:move",
    "parc:hardware_report",
    "api_bundle_upload",
    "parc:medium_add",
    "parc:labels",
)
def test_a_laptop_registered_by_hand_then_described_by_its_reports_at_a_desk(
    live_server, desk_page, workshop, tmp_path, axe_check, screenshot
):
    org, staff = workshop
    page = desk_page
    log_in(page, live_server.url, "ines")
    page.get_by_role("navigation").get_by_role("link", name="Appareils").click()
    page.get_by_role("link", name="Enregistrer un appareil").click()
    axe_check(page, "register form")
    page.get_by_label(re.compile(r"^Type\W*$")).select_option(label="ordinateur portable")
    page.get_by_label(re.compile(r"^Marque")).fill("Dell")
    page.get_by_label("Emplacement").select_option(label="Établi 1")
    page.get_by_label("Remarques").fill("Chargeur absent.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Appareil enregistré sous le code FIL-")
    device = Device.objects.get()
    assert device.owner == org and device.brand == "Dell" and device.location.name == "Établi 1"
    expect(page.get_by_role("heading", level=1)).to_have_text("Ordinateur portable Dell")
    expect(page.get_by_text(device.public_code).first).to_be_visible()
    axe_check(page, "device page")

    page.get_by_label("Nouvel emplacement").select_option(label="Étagère B")
    page.get_by_role("button", name="Déplacer").click()
    expect(page.get_by_role("status")).to_have_text("Emplacement mis à jour.")
    device.refresh_from_db()
    assert device.location.name == "Étagère B"

    # Its hardware report fills what was not typed: model, serial, processor, disks.
    page.get_by_role("link", name=re.compile("Joindre un rapport matériel")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Joindre un rapport matériel")
    axe_check(page, "hardware report form")
    page.get_by_role("button", name="Lire et appliquer le rapport").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    page.locator("input[type=file]").set_input_files(str(LSHW))
    page.get_by_role("button", name="Lire et appliquer le rapport").click()
    expect(page.get_by_role("status")).to_contain_text(
        "lu : son résumé est dans l'historique de l'appareil."
    )
    device.refresh_from_db()
    assert device.brand == "Dell" and device.model and device.serial
    media_from_report = device.storage_media.count()
    assert media_from_report >= 1

    # The agent's bundle, written on its USB stick without a network.
    page.get_by_role("link", name="Déposer un paquet de l'agent").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Déposer un paquet de l'agent")
    axe_check(page, "bundle upload form")
    page.locator("input[type=file]").set_input_files(str(_bundle(tmp_path, device.public_code)))
    page.get_by_role("button").filter(has_text=re.compile("paquet|Déposer|Lire")).last.click()
    expect(page.get_by_role("status").first).to_contain_text("Paquet de l'agent accepté")
    assert DeviceEvent.objects.filter(device=device, action="hardware_report").count() >= 2

    # A disk found in the case, added on the wipe page.
    expect(page).to_have_url(re.compile(rf"/e/{device.public_code}/$"))
    page.get_by_role("link", name="Commencer le diagnostic").click()
    page.get_by_role("button", name="Commencer le diagnostic").click()
    page.get_by_role("link", name="Valider l'effacement des données").click()
    page.get_by_text("Ajouter un support de stockage").click()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Ajouter le support"))
    form.get_by_label("Type de support").select_option(label="disque dur (HDD)")
    form.get_by_label("Fabricant").fill("Seagate")
    form.get_by_label("Numéro de série").fill("ZA1B2C3D")
    form.get_by_label("Capacité (Go)").fill("500")
    form.get_by_role("button", name="Ajouter le support").click()
    expect(page.get_by_role("status")).to_have_text("Support de stockage ajouté.")
    assert StorageMedium.objects.get(device=device, serial="ZA1B2C3D").capacity_gb == 500
    screenshot(page, "wipe-page-desk")

    # Its label, reprinted from the device page.
    page.goto(f"{live_server.url}/e/{device.public_code}/")
    page.get_by_role("link", name="Réimprimer l'étiquette").click()
    axe_check(page, "labels form")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le PDF des étiquettes").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")


DONOR_LIST = (
    "Fabricant;Désignation;Identifiant;Commentaire\r\n"
    "Dell;Latitude 5490;CN0ABC1;bon état\r\n"
    "HP;EliteBook 840 G5;5CG1234XYZ;écran rayé\r\n"
    "Lenovo;ThinkPad T480;PF1ABCDE;\r\n"
)


@pytest.mark.submits(
    "intake:start", "intake:mapping", "intake:reanalyse", "intake:restart", "intake:labels"
)
def test_a_donor_list_with_unknown_columns_imported_on_a_phone(
    live_server, page, workshop, tmp_path, axe_check, screenshot
):
    from dons.models import Donation, Gisement

    org, staff = workshop
    donor = OrganisationFactory(name="Mutuelle du Perche", is_donor=True)
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=org, donor_kind="entreprise", name="Renouvellement 2026"
    )
    donation = Donation.objects.create(gisement=gisement)
    source = tmp_path / "inventaire.csv"
    source.write_text(DONOR_LIST, encoding="utf-8")

    log_in(page, live_server.url, "ines")
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Dons").click()
    page.get_by_role("link", name="Renouvellement 2026").click()
    page.get_by_role("link", name=f"Don n° {donation.pk}").click()
    page.get_by_role("link", name="Importer la liste du donateur (CSV, XLSX)").click()
    page.get_by_label("Liste d'inventaire du donateur").set_input_files(str(source))
    page.get_by_role("button", name="Lire le fichier").click()

    # « Identifiant » and « Commentaire » are not recognised: chosen by hand.
    expect(page.get_by_role("heading", name="Ce que contient chaque colonne")).to_be_visible()
    axe_check(page, "column mapping")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Identifiant").select_option(label="N° de série")
    page.get_by_label("Type des appareils sans colonne « type »").select_option(
        label="ordinateur portable"
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import de « inventaire.csv »")
    job = ImportJob.objects.get()
    assert job.mapping.get("2") == "serial" and job.default_kind == "laptop"
    expect(page.get_by_text("Aperçu : rien n'est encore enregistré")).to_be_visible()

    # The worker died during the import (nothing written): the page offers to make the
    # preview again, since devices may have been registered meanwhile.
    def import_dies():
        # What start_import writes (who asked, how many rows), then the failure.
        ImportJob.objects.filter(pk=job.pk).update(
            stage="import",
            imported_by=staff,
            total=3,
            status="failed",
            error="Le traitement s'est interrompu. Relancez-le.",
        )
        page.reload()
        expect(page.get_by_text("Rien n'a été importé.")).to_be_visible()

    import_dies()
    axe_check(page, "failed import")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Refaire l'aperçu").click()
    expect(page.get_by_text("Aperçu : rien n'est encore enregistré")).to_be_visible()
    job.refresh_from_db()
    assert job.stage == "preview" and job.status == "done"

    # It dies again; this time it is simply started again, and imports.
    import_dies()
    page.get_by_role("button", name="Relancer").click()
    expect(page.get_by_role("heading", name="3 appareils importés")).to_be_visible()
    assert set(Device.objects.filter(donation=donation).values_list("serial", flat=True)) == {
        "CN0ABC1",
        "5CG1234XYZ",
        "PF1ABCDE",
    }
    assert_no_horizontal_scroll(page)

    page.get_by_role("link", name="Imprimer les étiquettes des appareils importés").click()
    expect(page.get_by_text("3 appareils sélectionnés.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le PDF des étiquettes").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    screenshot(page, "intake-labels-phone")


@pytest.mark.submits("parc:label_job_restart")
def test_a_failed_label_sheet_is_restarted_from_its_page(
    live_server, small_phone_page, workshop, monkeypatch, axe_check
):
    from core import jobs as kernel

    sent = []

    class Queue:
        def delay(self, pk):
            sent.append(pk)

    monkeypatch.setattr(kernel, "_task", lambda name: Queue())
    org, staff = workshop
    job = LabelJob.objects.create(
        organisation=org,
        requested_by=staff,
        layout="L7160",
        total=240,
        status="failed",
        error="Le traitement s'est interrompu (le service de traitement s'est arrêté).",
        attempts=1,
    )
    page = small_phone_page
    log_in(page, live_server.url, "ines")
    page.goto(f"{live_server.url}/etiquettes/travaux/{job.pk}/")
    expect(page.get_by_text("Le traitement s'est interrompu").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    axe_check(page, "failed label job")
    page.get_by_role("button", name="Relancer").click()
    expect(page.get_by_role("button", name="Relancer")).to_have_count(0)
    job.refresh_from_db()
    assert job.status == "pending" and sent == [job.pk]
