"""The households equipped of a big report read from the summary of its set of donations
(rapports.models.HouseholdSummary): the same figures as counted live, on the hand-built
scenario (conftest), with the size threshold lowered to 0; made stale by a new loan or sale,
recounted when an equipped household's commune or categories are corrected."""

import dataclasses
import datetime as dt
import json

import pytest

from acteurs.services import household_update
from rapports.models import DonationSummary, HouseholdSummary
from rapports.selectors import Period, donation_set_key, funder_home, gisement_report, subject_for
from rapports.services import (
    household_summary_sets,
    refresh_donation_summaries,
    refresh_household_summaries,
    stale_household_summary_keys,
)
from rapports.tasks import refresh_stale_household_summaries
from tests.acteurs.factories import HouseholdFactory, MembershipFactory
from tests.dons.factories import DonationFactory
from tests.parc.factories import DeviceFactory

from .conftest import HOUSEHOLDS, _loan, _sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def summaries_from_any_size(settings):
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 0


def _report(user, scenario, kind="gisement", pk=None, period=None):
    subject = subject_for(user, kind, pk or scenario["gisement"].pk)
    return gisement_report(subject, period or Period())


def _figures(report) -> dict:
    """Every field of the report but the moments it was made at."""
    fields = dataclasses.asdict(report)
    for name in ("generated_at", "computed_at", "households_computed_at", "factors"):
        fields.pop(name)
    return fields


def _households(report) -> tuple:
    return (
        report.households,
        report.households_by_category,
        [
            (epci.name, epci.households, [(c.commune, c.households) for c in epci.communes])
            for epci in report.territories
        ],
    )


@pytest.mark.parametrize(
    "kind", ["gisement", "don", "donateur"], ids=["gisement", "donation", "donor"]
)
def test_the_summary_gives_the_live_figures(summaries_from_any_size, scenario, funder_user, kind):
    pk = {
        "gisement": scenario["gisement"].pk,
        "don": scenario["donations"][0].pk,
        "donateur": scenario["gisement"].donor_id,
    }[kind]
    live = _report(funder_user, scenario, kind, pk)
    assert live.households_computed_at is None

    refresh_household_summaries()
    summed = _report(funder_user, scenario, kind, pk)

    assert summed.households_computed_at is not None
    assert _figures(summed) == _figures(live)
    assert summed.households == (8 if kind == "don" else 9)  # the scenario, not zeros


def test_a_period_of_one_donation_reads_that_donation_s_summary(
    summaries_from_any_size, scenario, funder_user
):
    march = Period(start=dt.date(2026, 3, 1))
    live = _report(funder_user, scenario, period=march)
    refresh_household_summaries()

    summed = _report(funder_user, scenario, period=march)

    assert summed.households_computed_at is not None  # the second donation's own summary
    assert (summed.households, _households(summed)) == (1, _households(live))


def test_below_the_threshold_the_households_are_counted_live(settings, scenario, funder_user):
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 17  # the scenario has 17 devices
    refresh_donation_summaries()
    refresh_household_summaries()
    assert _report(funder_user, scenario).households_computed_at is not None
    assert not HouseholdSummary.objects.filter(
        key=donation_set_key([scenario["donations"][1].pk])  # 3 devices: not kept
    ).exists()

    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 18
    assert _report(funder_user, scenario).households_computed_at is None


@pytest.mark.parametrize("how", ["loan", "sale"])
def test_a_new_loan_or_sale_makes_the_summary_stale_until_the_task(
    summaries_from_any_size, scenario, funder_user, communes, how
):
    first, second = scenario["donations"]
    refresh_household_summaries()
    before = {s.key: s.computed_at for s in HouseholdSummary.objects.all()}
    assert stale_household_summary_keys(household_summary_sets()) == []

    # A young household of Lucé receives a laptop of the second donation.
    newcomer = HouseholdFactory(
        organisation=scenario["households"][0].organisation, commune=communes["luce"], is_young=True
    )
    laptop = scenario["devices"]["registered"][0]
    refurbisher = scenario["gisement"].refurbisher
    if how == "loan":
        _loan(laptop, newcomer, refurbisher, "open")
    else:
        _sale(laptop, newcomer, refurbisher, "30.00", 6, scenario["operator"])

    assert _report(funder_user, scenario).households == 9  # the summary, not yet recounted
    stale = stale_household_summary_keys(household_summary_sets())
    assert donation_set_key([second.pk]) in stale
    assert donation_set_key([first.pk, second.pk]) in stale
    assert donation_set_key([first.pk]) not in stale  # its households did not change

    assert refresh_stale_household_summaries.delay().get() == len(stale)
    after = {s.key: s.computed_at for s in HouseholdSummary.objects.all()}
    assert after[donation_set_key([first.pk])] == before[donation_set_key([first.pk])]
    report = _report(funder_user, scenario)
    assert report.households_computed_at is not None
    assert report.households == 10
    assert dict(report.households_by_category)["jeune (16-25 ans)"] == "< 5"
    assert refresh_stale_household_summaries.delay().get() == 0
    HouseholdSummary.objects.all().delete()
    assert _households(_report(funder_user, scenario)) == _households(report)  # = live


def test_a_new_donation_makes_the_report_live_until_its_set_is_summarised(
    summaries_from_any_size, scenario, funder_user
):
    refresh_household_summaries()
    old_key = donation_set_key([d.pk for d in scenario["donations"]])
    late = DonationFactory(gisement=scenario["gisement"], state="received")
    DeviceFactory(owner=scenario["gisement"].refurbisher, donation=late, state="ready")
    assert _report(funder_user, scenario).households_computed_at is None

    refresh_stale_household_summaries.delay()

    report = _report(funder_user, scenario)
    assert report.households_computed_at is not None and report.households == 9
    assert not HouseholdSummary.objects.filter(key=old_key).exists()  # no longer asked for


def test_a_household_moving_is_recounted_at_once(
    summaries_from_any_size,
    scenario,
    funder_user,
    communes,
    django_capture_on_commit_callbacks,
):
    refresh_household_summaries()
    printer_buyer = scenario["households"][8]  # Dreux, second donation
    prescriber = MembershipFactory(organisation=printer_buyer.organisation, role="prescriber").user

    with django_capture_on_commit_callbacks(execute=True):
        household_update(printer_buyer.pk, actor=prescriber, commune=communes["chartres"])

    report = _report(funder_user, scenario)
    assert report.households_computed_at is not None
    assert [epci.name for epci in report.territories] == ["Chartres Métropole"]
    HouseholdSummary.objects.all().delete()
    assert _households(_report(funder_user, scenario)) == _households(report)  # = live


def test_the_funder_home_reads_its_own_summary(summaries_from_any_size, scenario, funder_user):
    live = funder_home(funder_user)
    refresh_donation_summaries()
    refresh_household_summaries()
    HouseholdSummary.objects.filter(
        key=donation_set_key([d.pk for d in scenario["donations"]])
    ).update(figures={"communes": [{"n": 99}]})  # marks which summary it reads

    assert live.households == 9
    assert funder_home(funder_user).households == 99


def test_the_summaries_hold_counts_only(summaries_from_any_size, scenario, funder_user):
    refresh_household_summaries()
    stored = json.dumps(list(HouseholdSummary.objects.values_list("figures", flat=True)))
    for name, email, phone in HOUSEHOLDS:
        assert name not in stored and email not in stored and phone not in stored
    assert "28085" in stored  # the communes' INSEE codes, with their counts


def test_the_page_says_when_the_households_were_computed(
    summaries_from_any_size, client, scenario, funder_user
):
    from django.urls import reverse
    from django.utils import timezone

    client.force_login(funder_user)
    url = reverse("rapports:gisement", args=[scenario["gisement"].pk])
    assert "Foyers équipés calculés le" not in client.get(url).content.decode()

    refresh_household_summaries()
    summary = HouseholdSummary.objects.get(
        key=donation_set_key([d.pk for d in scenario["donations"]])
    )
    when = timezone.localtime(summary.computed_at).strftime("%d/%m/%Y à %H:%M")
    assert f"Foyers équipés calculés le {when}" in client.get(url).content.decode()
    refresh_donation_summaries()
    assert f"foyers équipés le {when}" in client.get(url).content.decode()


@pytest.mark.parametrize("extra", [3, 30])
def test_the_summaries_bookkeeping_costs_the_same_queries_with_3_or_30_donations(
    summaries_from_any_size, scenario, funder_user, django_assert_max_num_queries, extra
):
    for _ in range(extra):
        donation = DonationFactory(gisement=scenario["gisement"], state="received")
        DeviceFactory(owner=scenario["gisement"].refurbisher, donation=donation)
    refresh_donation_summaries()
    refresh_household_summaries()
    assert DonationSummary.objects.count() == 3 + extra
    with django_assert_max_num_queries(6):
        assert stale_household_summary_keys(household_summary_sets()) == []


def test_a_correction_that_changes_no_figure_recounts_nothing(
    summaries_from_any_size, scenario, django_capture_on_commit_callbacks, monkeypatch
):
    from rapports import tasks

    queued = []
    monkeypatch.setattr(
        tasks.refresh_household_summaries_of_households, "delay", lambda ids: queued.append(ids)
    )
    household = scenario["households"][8]
    prescriber = MembershipFactory(organisation=household.organisation, role="prescriber").user

    with django_capture_on_commit_callbacks(execute=True):
        household_update(household.pk, actor=prescriber, phone="0699999999")
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        household_update(household.pk, actor=prescriber, is_single_parent=True)
    assert queued == [[household.pk]]
