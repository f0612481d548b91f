"""A gisement built by hand, where every figure of the report is known (see EXPECTED).

Gisement « Renouvellement 2026 » of the Banque du Centre, refurbished by the test
refurbisher. Two donations: the first received on 10/01/2026 (120.5 kg), the second on
20/03/2026 (not weighed). Seventeen devices:

donation 1 (14): 3 laptops sold (50 €) to households 1-3, 1 laptop given (0 €) to household 4,
1 laptop kept at the end of a loan by household 5, 2 laptops on loan (households 6-7),
1 desktop ready, 1 desktop allocated, 1 screen recycled, 1 smartphone dismantled for parts,
1 tablet lost on loan (household 8), 2 desktops in triage.
donation 2 (3): 2 laptops just registered, 1 printer sold to household 9.

Storage media (13) and erasures (14 annex rows): see ``_erasures``. Households 1-6 live in
Chartres, 7-8 in Lucé (both Chartres Métropole), 9 in Dreux (Pays de Dreux); 1-5 are seniors,
6-7 job seekers; 1-5 attended an initiation session and were assessed before (level 1) and
after (level 3) in domain 1. Another refurbisher's gisement has devices that must never
count.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from acteurs.models import Epci
from ateliers.models import Assessment, AssessmentLevel
from prets.models import Sale
from rapports.models import Funding
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

# Personal data of the scenario's households: no funder-facing export may show any of it.
HOUSEHOLDS = [
    ("Mme Zoé Vasseur-Quintal", "zoe.vasseur@exemple.fr", "0612345601"),
    ("M. Jules Ormancey", "jules.ormancey@exemple.fr", "0612345602"),
    ("Mme Léa Brissonnet", "lea.brissonnet@exemple.fr", "0612345603"),
    ("M. Paul Dufresnoy", "paul.dufresnoy@exemple.fr", "0612345604"),
    ("Mme Inès Carbonnel", "ines.carbonnel@exemple.fr", "0612345605"),
    ("M. Hugo Lambersart", "hugo.lambersart@exemple.fr", "0612345606"),
    ("Mme Chloé Vermandois", "chloe.vermandois@exemple.fr", "0612345607"),
    ("M. Noé Tristanval", "noe.tristanval@exemple.fr", "0612345608"),
    ("Mme Ana Pelleport", "ana.pelleport@exemple.fr", "0612345609"),
]

EXPECTED = {
    "donations": 2,
    "devices": 17,
    "weighed_kg": Decimal("120.5"),
    "by_kind": {"laptop": 9, "desktop": 4, "screen": 1, "tablet": 1, "smartphone": 1, "printer": 1},
    "estimated_weight_kg": Decimal("66.5"),
    "outcomes": {
        "sold": 4,
        "given": 1,
        "kept": 1,
        "on_loan": 2,
        "allocated": 1,
        "ready": 1,
        "in_progress": 4,
        "parts": 1,
        "recycled": 1,
        "lost": 1,
    },
    "handed_on": 6,
    "media_total": 13,
    "media_erased": 10,
    "media_destroyed": 1,
    "media_pending": 2,
    "erasures": {
        ("clear", "overwrite", "erased"): (2, 2),
        ("clear", "overwrite", "failed"): (2, 2),
        ("destroy", "shred", "erased"): (1, 1),
        ("purge", "block_erase", "erased"): (7, 7),
        ("purge", "crypto_erase", "erased"): (1, 1),
        ("purge", "factory_reset", "aborted"): (1, 1),
    },
    "failures": {"re_erased": 1, "destroyed_later": 1, "stock": 1},
    "annex_total": 14,
    "households": 9,
    "co2_total_kg": Decimal("1278.2"),  # 7 laptops × 182.6; the sold printer has no factor
    "co2_uncounted": 1,
}


def _epci(siren, name):
    return Epci.objects.get_or_create(siren=siren, defaults={"name": name, "kind": "CA"})[0]


@pytest.fixture
def communes(db):
    chartres_metropole = _epci("200033181", "Chartres Métropole")
    dreux = _epci("200040277", "CA du Pays de Dreux")
    chartres = CommuneFactory(insee_code="28085", name="Chartres")
    chartres.epci = chartres_metropole
    chartres.save()
    luce = CommuneFactory(insee_code="28218", name="Lucé", postcodes="28110")
    luce.epci = chartres_metropole
    luce.save()
    dreux_commune = CommuneFactory(insee_code="28134", name="Dreux", postcodes="28100")
    dreux_commune.epci = dreux
    dreux_commune.save()
    return {"chartres": chartres, "luce": luce, "dreux": dreux_commune}


@pytest.fixture
def donor_company(db):
    return OrganisationFactory(name="Banque du Centre", short_name="BDC", is_donor=True)


def _sale(device, household, refurbisher, price, number, seller):
    request = DeviceRequestFactory(
        household=household, refurbisher=refurbisher, state="fulfilled", mode="purchase"
    )
    today = timezone.localdate()
    return Sale.objects.create(
        request=request,
        device=device,
        household=household,
        organisation=refurbisher,
        number=number,
        buyer_name=household.name,
        price=Decimal(price),
        payment_method="cash" if price else "none",
        sold_on=today,
        guarantee_until=today + dt.timedelta(days=730),
        presumption_until=today + dt.timedelta(days=365),
        sold_by=seller,
    )


def _loan(device, household, refurbisher, state):
    return LoanFactory(
        request=DeviceRequestFactory(
            household=household, refurbisher=refurbisher, state="fulfilled"
        ),
        device=device,
        state=state,
    )


def _erasures(devices, operator):
    """13 media, 14 erasure rows (see the module docstring)."""

    def medium(device, media_type="ssd"):
        return StorageMediumFactory(device=device, media_type=media_type)

    def erase(m, level, method, result="erased", destination="reuse"):
        return ErasureRecordFactory(
            medium=m,
            level=level,
            method=method,
            result=result,
            destination=destination,
            operator=operator,
        )

    for laptop in devices["laptops_d1"]:
        erase(medium(laptop), "purge", "block_erase")
    ready = medium(devices["desktop_ready"], "hdd")
    erase(ready, "clear", "overwrite", "failed")
    erase(ready, "clear", "overwrite")
    erase(medium(devices["desktop_allocated"], "hdd"), "clear", "overwrite")
    phone = medium(devices["smartphone"], "flash")
    erase(phone, "purge", "factory_reset", "aborted")
    erase(phone, "destroy", "shred")
    erase(medium(devices["tablet"], "emmc"), "purge", "crypto_erase")
    first_triage = medium(devices["desktops_triage"][0], "hdd")
    erase(first_triage, "clear", "overwrite", "failed", destination="stock")
    medium(devices["desktops_triage"][1], "hdd")


@pytest.fixture
def scenario(db, refurbisher, other_refurbisher, communes, donor_company):
    seller = UserFactory(username="vendeur", first_name="Marc", last_name="Atelier")
    operator = UserFactory(username="operateur", first_name="Sami", last_name="Technicien")
    MembershipFactory(user=seller, organisation=refurbisher, role="staff")
    MembershipFactory(user=operator, organisation=refurbisher, role="technician")
    gisement = GisementFactory(
        refurbisher=refurbisher, donor=donor_company, name="Renouvellement 2026"
    )
    first = DonationFactory(
        gisement=gisement,
        state="received",
        received_on=dt.date(2026, 1, 10),
        received_weight_kg=Decimal("120.5"),
    )
    second = DonationFactory(gisement=gisement, state="received", received_on=dt.date(2026, 3, 20))

    prescriber_org = OrganisationFactory(
        name="CCAS de Chartres", short_name="CCAS", is_prescriber=True
    )
    where = ["chartres"] * 6 + ["luce"] * 2 + ["dreux"]
    households = []
    for index, (name, email, phone) in enumerate(HOUSEHOLDS):
        households.append(
            HouseholdFactory(
                organisation=prescriber_org,
                name=name,
                email=email,
                phone=phone,
                commune=communes[where[index]],
                is_senior=index < 5,
                is_jobseeker=index in (5, 6),
            )
        )

    def device(kind, state, donation=first):
        return DeviceFactory(owner=refurbisher, donation=donation, kind=kind, state=state)

    sold = [device("laptop", "transferred") for _ in range(3)]
    given = device("laptop", "transferred")
    kept = device("laptop", "transferred")
    on_loan = [device("laptop", "on_loan") for _ in range(2)]
    devices = {
        "laptops_d1": [*sold, given, kept, *on_loan],
        "desktop_ready": device("desktop", "ready"),
        "desktop_allocated": device("desktop", "allocated"),
        "screen": device("screen", "recycled"),
        "smartphone": device("smartphone", "parts"),
        "tablet": device("tablet", "lost"),
        "desktops_triage": [device("desktop", "triage") for _ in range(2)],
        "registered": [device("laptop", "registered", second) for _ in range(2)],
        "printer": device("printer", "transferred", second),
    }
    for number, laptop in enumerate(sold, start=1):
        _sale(laptop, households[number - 1], refurbisher, "50.00", number, seller)
    _sale(given, households[3], refurbisher, "0", 4, seller)
    _loan(kept, households[4], refurbisher, "transferred")
    _loan(on_loan[0], households[5], refurbisher, "open")
    _loan(on_loan[1], households[6], refurbisher, "open")
    _loan(devices["tablet"], households[7], refurbisher, "lost")
    _sale(devices["printer"], households[8], refurbisher, "20.00", 5, seller)
    _erasures(devices, operator)

    # Training: households 1-5 attended an initiation session, household 6 was absent.
    session = SessionFactory(
        organisation=refurbisher,
        commune=communes["chartres"],
        starts_at=timezone.now() - dt.timedelta(days=20),
    )
    for index, household in enumerate(households[:6]):
        EnrolmentFactory(
            session=session,
            household=household,
            attendance="present" if index < 5 else "absent",
        )
    for household in households[:5]:
        for moment, level in (("before", 1), ("after", 3)):
            assessment = Assessment.objects.create(
                household=household,
                organisation=refurbisher,
                session=session,
                moment=moment,
                assessed_on=timezone.localdate()
                - dt.timedelta(days=20 if moment == "before" else 1),
                assessed_by=operator,
            )
            AssessmentLevel.objects.create(assessment=assessment, domain="1", level=level)

    # Noise: another refurbisher's gisement, with a device handed to a household.
    elsewhere = GisementFactory(refurbisher=other_refurbisher, name="Gisement d'ailleurs")
    elsewhere_donation = DonationFactory(
        gisement=elsewhere, state="received", received_on=dt.date(2026, 1, 15)
    )
    stranger = HouseholdFactory(organisation=prescriber_org, commune=communes["dreux"])
    stranger_device = DeviceFactory(
        owner=other_refurbisher, donation=elsewhere_donation, state="on_loan"
    )
    _loan(stranger_device, stranger, other_refurbisher, "open")

    return {
        "gisement": gisement,
        "donations": (first, second),
        "households": households,
        "devices": devices,
        "elsewhere": elsewhere,
        "operator": operator,
    }


@pytest.fixture
def funder(db):
    return OrganisationFactory(
        name="Fondation Numérique Solidaire", short_name="FNS", is_funder=True
    )


@pytest.fixture
def funder_user(funder, scenario):
    """A member of the funder, which funds the scenario's gisement (and nothing else)."""
    user = UserFactory(username="financeur-test")
    MembershipFactory(user=user, organisation=funder, role="funder")
    Funding.objects.create(
        funder=funder, name="Appel à projets 2026", gisement=scenario["gisement"]
    )
    return user


@pytest.fixture
def other_funder_user(db, scenario):
    """A member of another funder, which funds only the other refurbisher."""
    organisation = OrganisationFactory(
        name="Caisse d'allocations", short_name="CAF", is_funder=True
    )
    user = UserFactory(username="autre-financeur")
    MembershipFactory(user=user, organisation=organisation, role="funder")
    Funding.objects.create(
        funder=organisation, name="Inclusion", refurbisher=scenario["elsewhere"].refurbisher
    )
    return user
