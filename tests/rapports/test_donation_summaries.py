"""The gisement report of a big subject sums the donations' precomputed device figures
(rapports.models.DonationSummary): the same report as the live one, figure for figure, on the
hand-built scenario (conftest), with the size threshold lowered to 0."""

import dataclasses

import pytest
from django.urls import reverse

from parc.services import storage_medium_add
from rapports.models import DonationSummary
from rapports.selectors import Period, gisement_report, subject_for
from rapports.services import refresh_donation_summaries, refresh_household_summaries
from rapports.tasks import refresh_stale_donation_summaries
from tests.dons.factories import DonationFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def summaries_from_any_size(settings):
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 0


def _report(user, scenario, kind="gisement", pk=None):
    subject = subject_for(user, kind, pk or scenario["gisement"].pk)
    return gisement_report(subject, Period())


def _figures(report) -> dict:
    """Every field of the report but the moments it was made at."""
    fields = dataclasses.asdict(report)
    for name in ("generated_at", "computed_at", "households_computed_at", "factors"):
        fields.pop(name)
    return fields


def test_summed_report_equals_the_live_report(summaries_from_any_size, scenario, funder_user):
    live = _report(funder_user, scenario)
    assert live.computed_at is None

    refresh_donation_summaries()
    summed = _report(funder_user, scenario)

    assert summed.computed_at is not None
    assert _figures(summed) == _figures(live)
    assert summed.devices == 17 and summed.annex_total == 14  # the scenario, not zeros
    # One donation of the gisement: its own summary, the same as live.
    first = scenario["donations"][0]
    one = _report(funder_user, scenario, "don", first.pk)
    assert one.computed_at is not None
    DonationSummary.objects.filter(donation=first).delete()
    assert _figures(_report(funder_user, scenario, "don", first.pk)) == _figures(one)


def test_a_donation_without_summary_makes_the_whole_report_live(
    summaries_from_any_size, scenario, funder_user
):
    refresh_donation_summaries()
    DonationSummary.objects.filter(donation=scenario["donations"][1]).delete()

    report = _report(funder_user, scenario)

    assert report.computed_at is None
    assert report.devices == 17


def test_below_the_threshold_the_report_is_live(settings, scenario, funder_user):
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 18  # the scenario has 17 devices
    refresh_donation_summaries()
    assert _report(funder_user, scenario).computed_at is None
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 17
    assert _report(funder_user, scenario).computed_at is not None


def test_the_task_refreshes_the_summaries_older_than_a_device_change(
    summaries_from_any_size, scenario, funder_user
):
    first, second = scenario["donations"]
    refresh_donation_summaries()
    before = {s.donation_id: s.computed_at for s in DonationSummary.objects.all()}
    summed = _report(funder_user, scenario)
    assert summed.media_total == 13

    # A medium found in a desktop in triage (donation 1): a DeviceEvent after the summary.
    storage_medium_add(
        scenario["devices"]["desktops_triage"][0].pk, scenario["operator"], media_type="hdd"
    )
    assert _report(funder_user, scenario).media_total == 13  # the summary, not yet refreshed

    assert refresh_stale_donation_summaries.delay().get() == 1
    after = {s.donation_id: s.computed_at for s in DonationSummary.objects.all()}
    assert after[first.pk] > before[first.pk]
    assert after[second.pk] == before[second.pk]  # unchanged donation left alone
    report = _report(funder_user, scenario)
    assert report.media_total == 14 and report.media_pending == summed.media_pending + 1
    assert refresh_stale_donation_summaries.delay().get() == 0


def test_the_task_summarises_a_new_donation(summaries_from_any_size, scenario, funder_user):
    refresh_donation_summaries()
    late = DonationFactory(gisement=scenario["gisement"], state="received")
    DeviceFactory(owner=scenario["gisement"].refurbisher, donation=late, state="ready")
    assert _report(funder_user, scenario).computed_at is None  # live until summarised

    refresh_stale_donation_summaries.delay()

    report = _report(funder_user, scenario)
    assert report.computed_at is not None and report.devices == 18


def test_the_page_and_the_pdf_say_when_the_device_figures_were_computed(
    summaries_from_any_size, client, scenario, funder_user
):
    from tests.rapports.test_gisement_report_exports import pdf_text

    client.force_login(funder_user)
    url = reverse("rapports:gisement", args=[scenario["gisement"].pk])
    assert "Chiffres des appareils calculés le" not in client.get(url).content.decode()

    refresh_donation_summaries()
    computed_at = DonationSummary.objects.earliest("computed_at").computed_at
    from django.utils import timezone

    when = timezone.localtime(computed_at).strftime("%d/%m/%Y à %H:%M")
    assert f"Chiffres des appareils calculés le {when}" in client.get(url).content.decode()
    pdf = client.get(reverse("rapports:gisement_pdf", args=[scenario["gisement"].pk]))
    assert "Chiffres des appareils calculés le" in pdf_text(pdf.content)


def _more_donations(scenario, count: int):
    refurbisher = scenario["gisement"].refurbisher
    for _ in range(count):
        donation = DonationFactory(gisement=scenario["gisement"], state="received")
        device = DeviceFactory(owner=refurbisher, donation=donation, state="registered")
        ErasureRecordFactory(
            medium=StorageMediumFactory(device=device), operator=scenario["operator"]
        )


@pytest.mark.parametrize("extra", [3, 30])
def test_the_summed_report_costs_the_same_queries_with_3_or_30_donations(
    summaries_from_any_size, scenario, funder_user, django_assert_max_num_queries, extra
):
    _more_donations(scenario, extra)
    refresh_donation_summaries()
    refresh_household_summaries()
    subject = subject_for(funder_user, "gisement", scenario["gisement"].pk)
    # Measured: 13 (transaction settings, factors, donations, summaries, households'
    # summary, training, progress).
    with django_assert_max_num_queries(13):
        report = gisement_report(subject, Period())
    assert report.computed_at is not None and report.devices == 17 + extra
    assert report.households_computed_at is not None and report.households == 9


@pytest.mark.postgres  # PostgreSQL's advisory lock; SQLite runs tasks one at a time
def test_a_refresh_that_finds_the_last_one_still_running_does_nothing(
    summaries_from_any_size, scenario, funder_user
):
    """Celery beat sends a refresh every ten minutes even when the last one has not ended
    (core.single_run): the second leaves the work to the first, then runs once it has ended."""
    import psycopg
    from django.db import connection

    from core.single_run import lock_key

    settings = connection.settings_dict
    refresh_donation_summaries()
    storage_medium_add(
        scenario["devices"]["desktops_triage"][0].pk, scenario["operator"], media_type="hdd"
    )
    other_run = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )
    key = lock_key("rapports.refresh_stale_donation_summaries")
    try:
        other_run.execute("SELECT pg_advisory_lock(%s)", [key])
        assert refresh_stale_donation_summaries.delay().get() == 0
        assert _report(funder_user, scenario).media_total == 13  # still the old summary
        # The other run ends. (Closing its connection would release the lock too, but only
        # once the server has noticed: not before the next statement here.)
        other_run.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        other_run.close()
    assert refresh_stale_donation_summaries.delay().get() == 1
    assert _report(funder_user, scenario).media_total == 14
