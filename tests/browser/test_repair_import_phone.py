"""A facilitator imports another repair café's ORDS file with bad rows, on a phone: the
preview says why each row is rejected, the valid rows are imported, the rejected rows are
downloaded, one is fixed, and imported in turn.

Real Chromium against the live server; every page visited must pass axe-core (no serious
or critical violation) and the phone layout must not scroll sideways.
"""

import pytest
from playwright.sync_api import expect

from ateliers import ords
from ateliers.models import Repair
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOGENT = "Repair Café Nogent"
ROWS = [
    f"a-1,{NOGENT},FRA,Bouilloire,Kettle,14,Seb,2015,9,Fixed,,Nogent,2024-03-02,Ok",
    f"a-2,{NOGENT},FRA,Grille-pain,Toaster,999,,,,Fixed,,Nogent,2024-03-02,",
    f"a-3,{NOGENT},FRA,,Kettle,14,,,,Fixed,,Nogent,02/03/2024,",
    f'a-4,{NOGENT},FRA,TV,Flat screen,8,Philips - 37",,,Cassé,,Nogent,2024-03-02,',
    f"a-5,{NOGENT},FRA,,Lamp,15,,,,End of life,Item too worn out,Nogent,2024-03-02,",
]


@pytest.fixture
def cafe(transactional_db):
    organisation = OrganisationFactory(name="Repair café de Dreux", short_name="RC Dreux")
    volunteer = UserFactory(username="lea", first_name="Léa")
    MembershipFactory(user=volunteer, organisation=organisation, role="staff")
    return organisation, volunteer


@pytest.mark.submits("ateliers:repairs", "ateliers:repair_import")
def test_partial_import_then_the_fixed_rejected_row(
    live_server, page, cafe, tmp_path, axe_check, screenshot
):
    source = tmp_path / "nogent.csv"
    source.write_bytes(("\r\n".join([",".join(ords.COLUMNS), *ROWS]) + "\r\n").encode())

    page.goto(f"{live_server.url}/ateliers/reparations/")
    page.get_by_label("Identifiant").fill("lea")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Réparations")
    axe_check(page, "repairs page")

    # Upload: a preview, nothing imported yet.
    page.get_by_label("Fichier ORDS (CSV)").set_input_files(str(source))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import ORDS : nogent.csv")
    rejected = page.get_by_role("table", name="Pourquoi chaque ligne est rejetée")
    expect(rejected.locator("tbody tr")).to_have_count(3)
    expect(rejected).to_contain_text("catégorie de produit inconnue (« 999 »)")
    expect(rejected).to_contain_text("date invalide (« 02/03/2024 »)")
    expect(rejected).to_contain_text("statut inconnu (« Cassé »)")
    expect(
        page.get_by_text("obstacle « Item too worn out » lu comme « Too worn out »")
    ).to_be_visible()
    assert_no_horizontal_scroll(page)
    axe_check(page, "preview")
    screenshot(page, "ords-preview")
    assert not Repair.objects.exists()

    # The valid rows, together.
    page.get_by_role("button", name="Importer les 2 lignes valides").click()
    expect(page.get_by_role("status")).to_have_text("2 réparations importées.")
    assert sorted(Repair.objects.values_list("external_id", flat=True)) == ["a-1", "a-5"]
    axe_check(page, "import done")

    # The rejected rows, in the file's own columns plus « Erreur »; fix the toaster.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les 3 lignes rejetées (CSV)").click()
    fixed = tmp_path / "corrigé.csv"
    content = download.value.path().read_bytes().decode("utf-8-sig")
    assert content.splitlines()[0].endswith(",Erreur")
    assert 'Philips - 37"' in content  # a stray quote stays as written
    fixed.write_text(content.replace(",Toaster,999,", ",Toaster,31,"), encoding="utf-8")

    page.get_by_role("link", name="Retour aux réparations").click()
    page.get_by_label("Fichier ORDS (CSV)").set_input_files(str(fixed))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import ORDS : corrigé.csv")
    expect(page.get_by_text("Erreur", exact=False).first).to_be_visible()  # column ignored
    page.get_by_role("button", name="Importer la ligne valide").click()
    expect(page.get_by_role("status")).to_have_text("1 réparation importée.")
    assert Repair.objects.get(external_id="a-2").product_category_id == 31
    assert Repair.objects.count() == 3
    assert_no_horizontal_scroll(page)
    screenshot(page, "ords-second-import")
