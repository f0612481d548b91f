"""The roadmap indicators against a scenario built by hand (the test refurbisher R).

Territories: Chartres (28085) and Lucé (28218) in Chartres Métropole, Dreux (28134) in the
Pays de Dreux, all in Eure-et-Loir (28); Orléans (45234) in the Loiret (45).

Gisements of R: G1 in Chartres (referenced 100 days ago, donor D1), G2 in Dreux (400 days
ago, donor D2), G3 without a commune (10 days ago, donor D1). Another refurbisher's G4 in
Chartres (donor D3). Conventions: G1 signed 50 days ago and a second one, since terminated,
signed 20 days ago; G2 signed 380 days ago; G3 a draft; G4 signed 30 days ago.

Handed over by R in the period: loans to households of Chartres (2) and Dreux (1), a sale
(50 €) in Lucé, a gift (0 €) in Dreux; a loan started 400 days ago in Chartres.
Training at R's sessions in the period: three households present (Chartres, Chartres, Dreux),
one absent. Repairs of R in the period: 3 fixed at a Chartres session, 1 end of life at a
Dreux session, 1 fixed imported from an ORDS file; 1 fixed 400 days ago.
"""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from acteurs.models import Epci
from ateliers.models import Repair, RepairImport
from prets.models import Sale
from rapports import dashboard_selectors
from rapports.access import ReportScope
from rapports.dashboard_forms import Territory
from rapports.models import Funding
from tests.acteurs.factories import (
    CommuneFactory,
    DepartementFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory
from tests.dons.factories import ConventionFactory, GisementFactory
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

URL = reverse("rapports:roadmap")


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _commune(insee, name, epci=None, departement="28"):
    commune = CommuneFactory(
        insee_code=insee,
        name=name,
        departement=DepartementFactory(code=departement, name=f"Dép. {departement}"),
    )
    if epci:
        commune.epci = Epci.objects.get_or_create(siren=epci[0], defaults={"name": epci[1]})[0]
        commune.save()
    return commune


@pytest.fixture
def territory(db):
    metropole = ("200033181", "Chartres Métropole")
    return {
        "chartres": _commune("28085", "Chartres", metropole),
        "luce": _commune("28218", "Lucé", metropole),
        "dreux": _commune("28134", "Dreux", ("200040277", "CA du Pays de Dreux")),
        "orleans": _commune("45234", "Orléans", ("244500468", "Orléans Métropole"), "45"),
    }


@pytest.fixture
def roadmap(refurbisher, other_refurbisher, territory):
    now = timezone.now()
    today = timezone.localdate()

    def ago(days):
        return today - dt.timedelta(days=days)

    d1, d2, d3 = (
        OrganisationFactory(name=f"Donateur {n}", short_name=f"D{n}", is_donor=True)
        for n in (1, 2, 3)
    )
    g1 = GisementFactory(refurbisher=refurbisher, donor=d1, commune=territory["chartres"])
    g2 = GisementFactory(refurbisher=refurbisher, donor=d2, commune=territory["dreux"])
    g3 = GisementFactory(refurbisher=refurbisher, donor=d1)
    g4 = GisementFactory(refurbisher=other_refurbisher, donor=d3, commune=territory["chartres"])
    for gisement, days in ((g1, 100), (g2, 400), (g3, 10), (g4, 30)):
        gisement.created_at = now - dt.timedelta(days=days)
        gisement.save()
    ConventionFactory(gisement=g1, signed_on=ago(50))
    ConventionFactory(gisement=g1, signed_on=ago(20), status="terminated")
    ConventionFactory(gisement=g2, signed_on=ago(380))
    ConventionFactory(gisement=g3, status="draft", signed_on=None)
    ConventionFactory(gisement=g4, signed_on=ago(30))

    prescriber = OrganisationFactory(name="CCAS", short_name="CCAS", is_prescriber=True)

    def household(where):
        return HouseholdFactory(organisation=prescriber, commune=territory[where])

    def loan(where, started_days_ago):
        h = household(where)
        return LoanFactory(
            request=DeviceRequestFactory(household=h, refurbisher=refurbisher, state="fulfilled"),
            started_on=ago(started_days_ago),
        )

    loan("chartres", 10), loan("chartres", 40), loan("dreux", 60), loan("chartres", 400)
    seller = UserFactory(username="vendeur")
    for number, (where, price) in enumerate((("luce", "50"), ("dreux", "0")), start=1):
        h = household(where)
        Sale.objects.create(
            request=DeviceRequestFactory(household=h, refurbisher=refurbisher, state="fulfilled"),
            device=DeviceFactory(owner=refurbisher, state="transferred"),
            household=h,
            organisation=refurbisher,
            number=number,
            buyer_name="—",
            price=Decimal(price),
            payment_method="cash" if price != "0" else "none",
            sold_on=ago(15),
            guarantee_until=ago(15) + dt.timedelta(days=730),
            presumption_until=ago(15) + dt.timedelta(days=365),
            sold_by=seller,
        )
    initiation = SessionFactory(
        organisation=refurbisher,
        commune=territory["chartres"],
        starts_at=now - dt.timedelta(days=8),
    )
    for where, attendance in (
        ("chartres", "present"),
        ("chartres", "present"),
        ("dreux", "present"),
        ("dreux", "absent"),
    ):
        EnrolmentFactory(session=initiation, household=household(where), attendance=attendance)

    def repair(status, *, session=None, days=5, batch=None):
        return Repair.objects.create(
            organisation=refurbisher,
            session=session,
            product_category_id=1,
            status=status,
            event_date=ago(days),
            recorded_by=seller,
            import_batch=batch,
        )

    repair_chartres = SessionFactory(
        organisation=refurbisher,
        commune=territory["chartres"],
        starts_at=now - dt.timedelta(days=5),
    )
    repair_dreux = SessionFactory(
        organisation=refurbisher, commune=territory["dreux"], starts_at=now - dt.timedelta(days=5)
    )
    for _ in range(3):
        repair("Fixed", session=repair_chartres)
    repair("End of life", session=repair_dreux)
    batch = RepairImport.objects.create(
        organisation=refurbisher, filename="ords.csv", imported_by=seller
    )
    repair("Fixed", batch=batch)
    repair("Fixed", session=repair_chartres, days=400)
    return {"today": today, "ago": ago}


def _report(scope, territory, today):
    return dashboard_selectors.roadmap_report(
        scope, territory, today - dt.timedelta(days=364), today
    )


def _quarter(day):
    return f"T{(day.month - 1) // 3 + 1} {day.year}"


def test_figures_of_a_refurbisher_without_territory(roadmap, refurbisher):
    report = _report(
        ReportScope(refurbishers=frozenset({refurbisher.pk})), Territory(), roadmap["today"]
    )
    g = report.gisements
    assert (g.gisements, g.new_gisements) == (3, 2)  # G1, G2, G3; G1 and G3 new
    assert (g.partners, g.partners_with_convention) == (2, 2)  # D1, D2
    expected = {}
    for day in (roadmap["ago"](50), roadmap["ago"](20)):
        expected[_quarter(day)] = expected.get(_quarter(day), 0) + 1
    assert {row["label"]: row["count"] for row in g.conventions_by_quarter} == expected
    assert g.conventions_signed == 2
    assert (report.handovers.loans, report.handovers.sales, report.handovers.gifts) == (3, 1, 1)
    assert report.trained == {"households": 3, "attendances": 3}
    # The imported repair is another provider's work: kept apart unless asked for.
    assert report.repairs_total == 4
    assert (report.repairs_fixed, report.repairs_end_of_life) == (3, 1)
    report = dashboard_selectors.roadmap_report(
        ReportScope(refurbishers=frozenset({refurbisher.pk})),
        Territory(),
        roadmap["today"] - dt.timedelta(days=364),
        roadmap["today"],
        include_imported=True,
    )
    assert report.repairs_total == 5
    assert (report.repairs_fixed, report.repairs_end_of_life) == (4, 1)


def test_figures_of_a_commune_an_epci_and_a_departement(roadmap, refurbisher, territory):
    scope = ReportScope(refurbishers=frozenset({refurbisher.pk}))
    today = roadmap["today"]
    chartres = _report(scope, Territory("commune", "28085", "Chartres"), today)
    assert chartres.gisements.gisements == 1 and chartres.gisements.conventions_signed == 2
    assert chartres.handovers.total == 2  # two loans in the period
    assert chartres.trained["households"] == 2
    assert chartres.repairs_total == 3  # the imported repair has no place
    metropole = _report(scope, Territory("epci", "200033181", "Chartres Métropole"), today)
    assert metropole.handovers.total == 3  # + the sale in Lucé
    loiret = _report(scope, Territory("departement", "45", "Loiret"), today)
    assert loiret.gisements.gisements == 0 and loiret.handovers.total == 0
    assert loiret.repairs_total == 0


def test_coordination_sees_every_refurbisher(roadmap):
    report = _report(ReportScope(everything=True), Territory(), roadmap["today"])
    assert report.gisements.gisements == 4 and report.gisements.partners == 3
    assert report.gisements.conventions_signed == 3


def test_funder_of_one_gisement_sees_that_gisement_only(client, roadmap, refurbisher):
    funder = OrganisationFactory(name="Fondation", short_name="F", is_funder=True)
    from dons.models import Gisement

    g1 = Gisement.objects.get(refurbisher=refurbisher, commune_id="28085")
    Funding.objects.create(funder=funder, name="Soutien", gisement=g1)
    user = UserFactory(username="financeur")
    MembershipFactory(user=user, organisation=funder, role="funder")
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.gisements.gisements == 1
    assert report.handovers.total == 0  # none of R's handovers came from G1's donations
    assert report.trained["households"] == 0 and report.repairs_total == 0


def test_page_suppresses_small_household_counts(client, staff, roadmap):
    client.force_login(staff)
    response = client.get(URL, {"commune": "28085"})
    assert response.status_code == 200
    text = _text(response)
    assert "Chartres" in text
    assert "< 5" in text  # 2 devices, 2 households trained
    response = client.get(URL)
    assert response.context["report"].handovers.total == 5
    # Repairs: the sessions' only, unless the option asks for the imported ones too.
    assert response.context["report"].repairs_total == 4
    assert "ne sont pas comptées" in _text(response)
    response = client.get(URL, {"importees": "on"})
    assert response.context["report"].repairs_total == 5
    assert "Inclure les réparations importées d'autres sources" in _text(response)


@pytest.mark.parametrize(
    "query, message",
    [
        ({"departement": "99"}, "Aucun département n'a le code « 99 »"),
        ({"epci": "123"}, "Aucun EPCI n'a le numéro SIREN « 123 »"),
        ({"commune": "99999"}, "Aucune commune n'a le code INSEE « 99999 »"),
        ({"commune": "Chartres (99999)"}, "Aucune commune n'a le code INSEE « 99999 »"),
        ({"commune": "Chartr"}, "Aucune commune ne s'appelle « Chartr » : tapez le début"),
        ({"epci": "Métropole"}, "Aucun EPCI ne s'appelle exactement « Métropole »"),
        ({"departement": "45", "commune": "28085"}, "n'est pas dans le département 45"),
        ({"epci": "244500468", "commune": "28085"}, "n'est pas dans l'EPCI"),
        ({"departement": "28", "epci": "244500468"}, "n'a pas de commune dans le département"),
        ({"debut": "2026-05-01", "fin": "2026-01-01"}, "avant de commencer"),
        ({"debut": "", "fin": ""}, "La période est vide"),
        ({"debut": "2026-02-30", "fin": "2026-03-01"}, "n'est pas une date"),
        ({"commune": "<script>"}, "code INSEE"),
        ({"departement": "\x00"}, "Département"),
    ],
)
def test_bad_filters_get_a_french_message(client, staff, roadmap, query, message):
    client.force_login(staff)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert message in _text(response)
    assert "<script>" not in response.content.decode()


def test_anonymous_and_unscoped_users(client, roadmap, prescriber):
    assert client.get(URL).status_code == 302
    client.force_login(prescriber)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("extra", [0, 27])
def test_query_budget_does_not_grow(
    client, staff, refurbisher, territory, extra, django_assert_max_num_queries
):
    for _ in range(3 + extra):
        GisementFactory(refurbisher=refurbisher, commune=territory["chartres"])
        LoanFactory(request=DeviceRequestFactory(refurbisher=refurbisher, state="fulfilled"))
    client.force_login(staff)
    with django_assert_max_num_queries(16):
        assert client.get(URL, {"departement": "28", "epci": "200033181"}).status_code == 200
