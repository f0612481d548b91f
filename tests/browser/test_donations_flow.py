"""A refurbishing association's staff member records a donor's gisement, its convention and a
donation, follows the donation to its reception, files the collection slip and sends the donor
a tracking link, then revokes it — at a desk, then the same pages on a phone. And the
donation's and the donor's reports are shared and asked for in full.

Real Chromium against the live server: every form is filled and sent as a person does (the
site's CSRF and Origin checks included), the French answer is read on the page and the rows
are checked in the database."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dons.models import Convention, Donation, DonationDocument, DonationEvent, Gisement
from rapports import exports
from rapports.models import Funding, ReportJob
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import DonationFactory, DonationLineFactory, GisementFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

from .conftest import log_in, open_menu
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def association(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    staff = UserFactory(username="ines", first_name="Inès", last_name="Martin")
    MembershipFactory(user=staff, organisation=org, role="staff")
    return org, staff


@pytest.mark.submits(
    "dons:gisement_create",
    "dons:gisement_edit",
    "dons:convention_create",
    "dons:convention_edit",
    "dons:donation_create",
    "dons:donation_edit",
    "www:donation_transition",
    "www:donation_document_add",
    "www:donor_link",
    "dons:donor_link_revoke",
)
def test_a_gisement_its_convention_and_a_donation_from_announcement_to_the_donor_link(
    live_server, desk_page, browser, association, axe_check, screenshot
):
    org, staff = association
    page = desk_page
    base = live_server.url
    log_in(page, base, "ines")

    # --- the gisement ---------------------------------------------------------------------------
    page.get_by_role("navigation").get_by_role("link", name="Dons").click()
    page.get_by_role("link", name="Référencer un gisement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Référencer un gisement")
    axe_check(page, "gisement form")
    # The only structure the staff member manages is already chosen.
    expect(page.get_by_label("Structure de reconditionnement")).to_have_value(str(org.pk))
    page.get_by_label("Nom du nouveau donateur").fill("Mutuelle du Perche")
    page.get_by_label("Type de donateur").select_option(label="entreprise")
    page.get_by_label("Nom du gisement").fill("Renouvellement du parc 2026")
    page.get_by_label("Adresse").fill("12 rue de la Gare\n28400 Nogent-le-Rotrou")
    page.get_by_label("Fréquence").select_option(label="récurrent")
    page.get_by_label("Volume attendu par an (appareils)").fill("60")
    page.get_by_role("button", name="Référencer le gisement").click()
    expect(page.get_by_role("status")).to_have_text("Gisement enregistré.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Renouvellement du parc 2026")
    expect(page.get_by_text("60 appareils attendus par an")).to_be_visible()
    gisement = Gisement.objects.get()
    assert gisement.refurbisher == org and gisement.donor.name == "Mutuelle du Perche"
    assert gisement.donor.is_donor and gisement.frequency == "recurrent"
    axe_check(page, "gisement page")

    page.get_by_role("link", name="Modifier", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier le gisement")
    page.get_by_label(re.compile(r"^Contact")).fill("M. Perrin")
    page.get_by_label("Courriel du contact").fill("perrin@mutuelle-perche.example")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_have_text("Gisement mis à jour.")
    expect(page.get_by_role("link", name="perrin@mutuelle-perche.example")).to_be_visible()
    gisement.refresh_from_db()
    assert gisement.contact_name == "M. Perrin"

    # --- its convention, signed, with the scanned document ---------------------------------------
    page.get_by_role("link", name="Ajouter une convention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une convention")
    axe_check(page, "convention form")
    page.get_by_label("Statut").select_option(label="signée")
    # Signed without a date: the form says what is missing.
    page.get_by_role("button", name="Enregistrer la convention").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Indiquez la date de signature de la convention."
    )
    assert not Convention.objects.exists()
    signed = timezone.localdate() - dt.timedelta(days=3)
    page.get_by_label("Signée le").fill(signed.isoformat())
    page.get_by_label("Convention signée (PDF ou image)").set_input_files(
        files=[{"name": "convention.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}]
    )
    page.get_by_role("button", name="Enregistrer la convention").click()
    expect(page.get_by_role("status")).to_have_text("Convention enregistrée.")
    row = page.get_by_role("row").filter(has_text=signed.strftime("%d/%m/%Y"))
    expect(row).to_contain_text("Signée")
    expect(row.get_by_role("link", name="Télécharger")).to_be_visible()
    row.get_by_role("link", name="Modifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la convention")
    expect(page.get_by_text("Un document est déjà joint")).to_be_visible()
    expires = signed.replace(year=signed.year + 3)
    page.get_by_label("Expire le").fill(expires.isoformat())
    page.get_by_role("button", name="Enregistrer la convention").click()
    expect(page.get_by_role("status")).to_have_text("Convention mise à jour.")
    convention = Convention.objects.get()
    assert convention.signed_on == signed and convention.expires_on == expires
    assert convention.document.name.endswith(".pdf")

    # --- a donation: announced, corrected, collected, received ------------------------------------
    page.get_by_role("link", name="Annoncer un don").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annoncer un don")
    axe_check(page, "donation form")
    page.get_by_label("Référence du donateur").fill("BL-2026-114")
    page.get_by_label("Valeur déclarée par le donateur (€)").fill("1 250,50")
    page.get_by_label("Ordinateur portable").fill("12")
    page.get_by_label("Écran").fill("5")
    page.get_by_role("button", name="Annoncer le don").click()
    expect(page.get_by_role("status")).to_have_text("Don enregistré : il est annoncé.")
    donation = Donation.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Don n° {donation.pk} – Mutuelle du Perche"
    )
    assert donation.state == "announced" and donation.stated_value == 1250.5
    assert {line.kind: line.quantity for line in donation.lines.all()} == {
        "laptop": 12,
        "screen": 5,
    }
    axe_check(page, "donation page (announced)")

    page.get_by_role("link", name="Modifier le don").click()
    expect(page.get_by_label("Ordinateur portable")).to_have_value("12")
    page.get_by_label("Ordinateur portable").fill("14")
    page.get_by_label("Remarques").fill("Deux portables de plus, annoncés au téléphone.")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_have_text("Don mis à jour.")
    expect(page.get_by_text("Deux portables de plus")).to_be_visible()
    assert donation.lines.get(kind="laptop").quantity == 14

    collect = page.locator("form").filter(
        has=page.get_by_role("heading", name="Marquer comme collecté")
    )
    collect.get_by_label("Note").fill("Enlevé avec la camionnette.")
    collect.get_by_role("button", name="Marquer comme collecté").click()
    expect(page.get_by_role("status")).to_have_text(
        "Marquer comme collecté : fait. Le don est maintenant « Collecté »."
    )
    receive = page.locator("form").filter(has=page.get_by_role("heading", name="Réceptionner"))
    receive.get_by_label("Poids reçu (kg)").fill("48,5")
    receive.get_by_role("button", name="Réceptionner").click()
    expect(page.get_by_role("status")).to_contain_text("Le don est maintenant « Réceptionné »")
    donation.refresh_from_db()
    assert donation.state == "received" and donation.received_on == timezone.localdate()
    assert float(donation.received_weight_kg) == 48.5
    assert list(
        DonationEvent.objects.filter(donation=donation)
        .order_by("id")
        .values_list("action", flat=True)
    )[-2:] == ["collect", "receive"]
    expect(page.get_by_role("link", name="Attestation de don (PDF)")).to_be_visible()
    axe_check(page, "donation page (received)")

    # --- the collection slip, as a file ----------------------------------------------------------
    page.get_by_text("Joindre un document (liste du donateur, bon d'enlèvement…)").click()
    page.get_by_label("Type de document").select_option(label="bon d'enlèvement")
    page.get_by_label("Titre").fill("Bon signé")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "bon.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}]
    )
    page.get_by_role("button", name="Joindre le document").click()
    expect(page.get_by_role("status")).to_have_text("Document ajouté.")
    expect(page.get_by_role("link", name="Bon signé")).to_be_visible()
    document = DonationDocument.objects.get()
    assert document.donation == donation and document.kind == "collection_slip"

    # --- the donor's tracking link, then revoked --------------------------------------------------
    page.get_by_role("button", name="Créer un lien de suivi pour le donateur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien de suivi pour le donateur")
    axe_check(page, "donor link")
    url = page.get_by_label("Lien à copier").input_value()
    path = "/" + url.split("/", 3)[3]
    donor = browser.new_context()
    try:
        donor_page = donor.new_page()
        assert donor_page.goto(base + path).status == 200
        expect(donor_page.get_by_role("heading", level=1)).to_have_text("Suivi de votre don")
        expect(donor_page.get_by_text("Votre référence : BL-2026-114")).to_be_visible()
        page.get_by_role("link", name=f"← Don n° {donation.pk}").click()
        page.get_by_role("button", name="Désactiver les liens déjà envoyés").click()
        expect(page.get_by_role("status")).to_have_text(
            "Les liens déjà envoyés au donateur ne fonctionnent plus."
        )
        assert donor_page.goto(base + path).status == 404
    finally:
        donor.close()
    screenshot(page, "donation-desk")


def test_the_gisement_and_donation_pages_fit_a_small_phone(
    live_server, small_phone_page, association, axe_check, screenshot
):
    org, _staff = association
    gisement = GisementFactory(refurbisher=org, name="Parc des agences de la Mutuelle du Perche")
    donation = DonationFactory(gisement=gisement, state="announced", donor_reference="BL-2026-114")
    DonationLineFactory(donation=donation, kind="laptop", quantity=12)
    page = small_phone_page
    log_in(page, live_server.url, "ines")
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Dons").click()
    page.get_by_role("link", name=gisement.name).click()
    # Measured once the next page is there (a loaded machine is slower than the click).
    page.wait_for_url(f"**/dons/gisements/{gisement.pk}/")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name=f"Don n° {donation.pk}").click()
    expect(page.get_by_role("button", name="Marquer comme collecté")).to_be_visible()
    assert_no_horizontal_scroll(page)
    axe_check(page, "donation page on a small phone")
    page.get_by_role("link", name="Modifier le don").click()
    page.wait_for_url(f"**/dons/don/{donation.pk}/modifier/")
    assert_no_horizontal_scroll(page)
    screenshot(page, "donation-edit-small-phone")


@pytest.fixture
def funded_donation(transactional_db, monkeypatch):
    refurbisher = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    gisement = GisementFactory(refurbisher=refurbisher, name="Parc des agences 2026")
    donation = DonationFactory(
        gisement=gisement, state="received", received_on=dt.date(2026, 1, 10)
    )
    for state in ("triage", "ready", "on_loan", "recycled"):
        device = DeviceFactory(owner=refurbisher, donation=donation, state=state)
        ErasureRecordFactory(medium=StorageMediumFactory(device=device))
    funder = OrganisationFactory(name="Fondation Numérique", short_name="FN", is_funder=True)
    user = UserFactory(username="bernard", first_name="Bernard")
    MembershipFactory(user=user, organisation=funder, role="funder")
    Funding.objects.create(funder=funder, name="Appel à projets", gisement=gisement)
    # Four erasures: the immediate PDF is made to hold fewer, so the page offers the full one.
    monkeypatch.setattr(exports, "PDF_ANNEX_LIMIT", 2)
    # Asked for, not built: the eager worker would lay out the PDF inside the request.
    monkeypatch.setattr(ReportJob, "enqueue", lambda job: None)
    return gisement, donation, user


@pytest.mark.submits(
    "rapports:don_share", "rapports:don_job", "rapports:donateur_share", "rapports:donateur_job"
)
def test_the_funder_shares_and_asks_for_the_donation_and_donor_reports(
    live_server, page, funded_donation, axe_check
):
    gisement, donation, user = funded_donation
    base = live_server.url
    log_in(page, base, "bernard")

    # The donor's report, from the list of reports.
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Rapports").click()
    page.get_by_role("link", name=gisement.donor.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(gisement.donor.name)
    page.get_by_role("button", name="Créer le lien").click()
    expect(page.get_by_role("heading", name="Lien de partage créé")).to_be_visible()
    assert "/rapports/partage/" in page.get_by_label("Adresse à transmettre").input_value()
    page.go_back()
    page.get_by_role("button", name="Préparer le PDF avec l'annexe complète").click()
    expect(page).to_have_url(re.compile(r"/rapports/travaux/\d+/$"))
    assert ReportJob.objects.get(requested_by=user).subject_kind == "donateur"

    # The donation's report (its address, as the team sends it).
    page.goto(f"{base}/rapports/don/{donation.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Don n° {donation.pk}")
    assert_no_horizontal_scroll(page)
    axe_check(page, "donation report")
    page.get_by_role("button", name="Créer le lien").click()
    expect(page.get_by_role("heading", name="Lien de partage créé")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Préparer le PDF avec l'annexe complète").click()
    expect(page).to_have_url(re.compile(r"/rapports/travaux/\d+/$"))
    assert sorted(ReportJob.objects.values_list("subject_kind", flat=True)) == [
        "don",
        "donateur",
    ]
