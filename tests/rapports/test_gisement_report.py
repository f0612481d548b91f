"""Every figure of the gisement report against the hand-built scenario (conftest.EXPECTED)."""

import datetime as dt
from decimal import Decimal

import pytest

from rapports.selectors import Period, gisement_report, subject_for

from .conftest import EXPECTED

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_user(db):
    from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

    organisation = OrganisationFactory(name="Département", short_name="DEP", is_coordinator=True)
    user = UserFactory(username="coordination-rapports")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return user


def _report(user, scenario, period=None):
    subject = subject_for(user, "gisement", scenario["gisement"].pk)
    return gisement_report(subject, period or Period())


def test_reception_by_kind_and_weight(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert report.donations == EXPECTED["donations"]
    assert report.devices == EXPECTED["devices"]
    assert report.weighed_kg == EXPECTED["weighed_kg"]
    assert report.weighed_donations == 1
    assert {row.kind: row.count for row in report.by_kind} == EXPECTED["by_kind"]
    assert report.estimated_weight_kg == EXPECTED["estimated_weight_kg"]


def test_outcomes_in_numbers_and_percentages(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert {row.code: row.count for row in report.outcomes} == EXPECTED["outcomes"]
    by_code = {row.code: row for row in report.outcomes}
    assert by_code["sold"].percent == Decimal("23.5")  # 4 / 17
    assert by_code["in_progress"].percent == Decimal("23.5")
    assert by_code["lost"].percent == Decimal("5.9")  # 1 / 17
    assert report.handed_on == EXPECTED["handed_on"]
    assert report.handed_on_percent == Decimal("35.3")  # 6 / 17


def test_erasure_figures_and_failures(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert report.media_total == EXPECTED["media_total"]
    assert report.media_erased == EXPECTED["media_erased"]
    assert report.media_destroyed == EXPECTED["media_destroyed"]
    assert report.media_pending == EXPECTED["media_pending"]
    assert {
        (row.level, row.method, row.result): (row.records, row.media) for row in report.erasures
    } == EXPECTED["erasures"]
    assert {row.follow_up: row.count for row in report.failures} == EXPECTED["failures"]
    assert report.annex_total == EXPECTED["annex_total"]


def test_households_by_category_and_territory_with_small_counts(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert report.households == EXPECTED["households"]
    assert report.households_shown == 9
    categories = dict(report.households_by_category)
    assert categories["senior"] == 5
    assert categories["demandeur d'emploi"] == "< 5"  # 2 households
    assert categories["parent isolé"] == 0
    territories = {
        epci.name: (epci.shown, {c.commune: c.shown for c in epci.communes})
        for epci in report.territories
    }
    assert territories == {
        "CA du Pays de Dreux": ("< 5", {"Dreux": "< 5"}),
        "Chartres Métropole": (8, {"Chartres": 6, "Lucé": "< 5"}),
    }


def test_training_and_autonomy_of_the_equipped_households(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert report.trained_households == 5  # household 6 was absent
    assert [(row.households, row.attendances) for row in report.training] == [(5, 5)]
    domain_1 = next(row for row in report.progress if row.domain == "1")
    assert (domain_1.households, domain_1.before, domain_1.after, domain_1.improved) == (
        5,
        Decimal("1.00"),
        Decimal("3.00"),
        5,
    )
    assert all(row.households == 0 for row in report.progress if row.domain != "1")


def test_co2_avoided_from_the_versioned_factors(scenario, coordinator_user):
    report = _report(coordinator_user, scenario)
    assert report.co2_total_kg == EXPECTED["co2_total_kg"]
    assert report.co2_uncounted == EXPECTED["co2_uncounted"]
    laptop = next(row for row in report.co2_rows if row.kind == "laptop")
    assert (laptop.devices, laptop.factor_kg) == (7, Decimal("182.6"))
    assert report.factors.version == "ademe-2022.1"
    assert "ADEME" in str(report.factors.source)


def test_period_filters_on_the_donation_reception_date(scenario, coordinator_user):
    january = _report(coordinator_user, scenario, Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)))
    assert (january.donations, january.devices) == (1, 14)
    march = _report(coordinator_user, scenario, Period(start=dt.date(2026, 3, 1)))
    assert (march.donations, march.devices, march.households) == (1, 3, 1)
    empty = _report(coordinator_user, scenario, Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30)))
    assert empty.is_empty and empty.households == 0 and empty.co2_total_kg == 0


def test_one_donation_and_all_gisements_of_a_donor(scenario, coordinator_user):
    first, second = scenario["donations"]
    donation = gisement_report(subject_for(coordinator_user, "don", second.pk), Period())
    assert (donation.devices, donation.households) == (3, 1)
    donor = gisement_report(
        subject_for(coordinator_user, "donateur", scenario["gisement"].donor_id), Period()
    )
    assert donor.devices == EXPECTED["devices"]
