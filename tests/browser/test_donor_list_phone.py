"""A member of the team imports a donor's GLPI export with bad rows, on a phone: the preview
says why each row is left out, the valid rows are imported together, the rejected rows are
downloaded in the donor's own format (Windows-1252, semicolons, plus « Erreur »), one is fixed
and imported in turn — its columns recognised as the first file's.

Real Chromium against the live server; every page visited must pass axe-core (no serious or
critical violation) and the phone layout must not scroll sideways.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dons.models import Donation, Gisement
from parc.models import Device
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GLPI = Path(__file__).resolve().parent.parent / "fixtures" / "intake" / "glpi-export-cp1252.csv"


@pytest.fixture
def team(transactional_db):
    workshop = OrganisationFactory(name="Recyclerie du Perche", short_name="RP")
    donor = OrganisationFactory(name="Société Exemple SAS", is_donor=True)
    member = UserFactory(username="ines", first_name="Inès")
    MembershipFactory(user=member, organisation=workshop, role="staff")
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=workshop, donor_kind="entreprise", name="Renouvellement 2024"
    )
    return Donation.objects.create(gisement=gisement)


@pytest.mark.submits("intake:start", "intake:import")
def test_partial_import_then_the_fixed_rejected_row(
    live_server, page, team, tmp_path, axe_check, screenshot
):
    # The export's first 44 records: three bad ones among them (lines 41 to 44 hold the
    # missing serial), the rest valid.
    lines = GLPI.read_bytes().decode("cp1252").splitlines(keepends=True)
    records = list(csv.reader(io.StringIO("".join(lines)), delimiter=";"))[:45]
    records[20][6] = "Serveur"  # an unknown kind
    records[30][2] = records[10][2]  # a duplicate
    records[30][4] = records[10][4]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        records
    )
    source = tmp_path / "export-glpi.csv"
    source.write_bytes(buffer.getvalue().encode("cp1252"))

    page.goto(f"{live_server.url}/appareils/import/")
    page.get_by_label("Identifiant").fill("ines")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer la liste d'un donateur")
    axe_check(page, "upload page")

    page.get_by_role("combobox", name=re.compile(r"^Don")).select_option(str(team.pk))
    page.get_by_label("Liste d'inventaire du donateur").set_input_files(str(source))
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import de « export-glpi.csv »")
    expect(page.get_by_text("Aperçu : rien n'est encore enregistré")).to_be_visible()
    page.get_by_label("Afficher").select_option("error")
    rows = page.get_by_role("table", name="Résultat de chaque ligne, et pourquoi")
    expect(rows.locator("tbody tr")).to_have_count(3)
    expect(rows).to_contain_text("numéro de série manquant")
    expect(rows).to_contain_text("type d'appareil inconnu : « Serveur »")
    expect(rows).to_contain_text("doublon : même numéro de série que la ligne 11")
    assert_no_horizontal_scroll(page)
    axe_check(page, "preview")
    screenshot(page, "donor-list-preview")
    assert not Device.objects.exists()

    # The valid rows, together.
    page.get_by_role("button", name="Importer les 41 lignes valides").click()
    expect(page.get_by_role("status").first).to_have_text("41 appareils importés.")
    assert Device.objects.filter(donation=team).count() == 41
    axe_check(page, "import done")

    # The rejected rows in the donor's own format; fix the missing serial.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les 3 lignes rejetées (CSV)").click()
    content = download.value.path().read_bytes().decode("cp1252")
    rejected = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rejected[0][-1] == "Erreur" and rejected[0][2] == "Numéro de série"
    for row in rejected[1:]:
        if row[-1] == "numéro de série manquant":
            row[2] = "cnu 1234 xyz"
    fixed = tmp_path / "corrigé.csv"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rejected)
    fixed.write_bytes(out.getvalue().encode("cp1252"))

    page.get_by_role("link", name="Déposer le fichier corrigé").click()
    page.get_by_label("Liste d'inventaire du donateur").set_input_files(str(fixed))
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import de « corrigé.csv »")
    expect(page.get_by_role("status").first).to_contain_text("dernier fichier de ce donateur")
    # The duplicate is now the device imported from its first line: unchanged.
    expect(page.get_by_text("1 déjà enregistrée dans ce don (inchangée)")).to_be_visible()
    page.get_by_role("button", name="Importer la ligne valide").click()
    expect(page.get_by_role("status").first).to_have_text("1 appareil importé.")
    device = Device.objects.get(serial="CNU1234XYZ")
    assert device.serial_raw == "cnu 1234 xyz" and device.donation_id == team.pk
    assert Device.objects.count() == 42
    assert_no_horizontal_scroll(page)
    axe_check(page, "second import")
    screenshot(page, "donor-list-second-import")
