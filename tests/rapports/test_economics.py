"""« Modèle économique » (issue 15): the dashboard against a scenario computed by hand, the
parts stock, who may read it, and its query budget.

The scenario, June 2026, one refurbisher at 30 €/h (an ESAT):

- three laptops made ready (register, wipe, mark_ready in June): the coordination's time for
  a laptop's refurbishment is 60 min, the others default to 10 and 30 min; for the third
  laptop the technician recorded 90 min, 60 of them by supported workers. Laptops: 3 × 10
  + 3 × 30 + 2 × 60 + 90 = 330 min = 5.5 h = 165.00 €;
- one smartphone, defaults only: 10 + 30 + 45 = 85 min = 42.50 €;
- a laptop worked in May: outside the period;
- parts: a 25 € battery on laptop 1, two 12 € RAM sticks on laptop 2: 49.00 €;
- the donation of the laptops, received on 10 June, cost 40 € to collect: shared by the
  four devices made ready, 30.00 € to laptops, 10.00 € to the smartphone.

Costs: laptops 165 + 49 + 30 = 244.00 € (81.33 € each), smartphone 42.50 + 10 = 52.50 €;
total 296.50 €. Revenue: sales 120 € (laptop 1) + 40 € (smartphone), a 50 € deposit kept on
a loan lost in June: 210.00 €. Funding: 365 € for 2026, 30 days of it: 30.00 €. Coverage
(210 + 30) / 296.50 = 80.9 %. Funding and deposits per device ready (30 + 50) / 4 = 20 €:
break-even 61.33 € for a laptop (cap 180 €), 32.50 € for a smartphone (cap 100 €). Devices per
technician-month: 4 / (415 / 60 / 151.67) = 87.7. Supported work: 1.00 h.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import Refused
from dons.models import Donation
from parc import services as parc_services
from parc.models import DeviceEvent, Part, PartUse, StageTime, WorkTime
from prets.models import Sale, Voucher
from rapports.economics import economics
from rapports.models import Funding, StageWorkDay
from rapports.services import roll_up_stage_work
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

pytestmark = pytest.mark.django_db

JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
WORKED = timezone.make_aware(dt.datetime(2026, 6, 15, 10))


def worked(device, at=WORKED):
    for action in ("register", "wipe", "mark_ready"):
        DeviceEvent.objects.create(device=device, action=action, at=at)


def sell(device, price, technician):
    request = DeviceRequestFactory(
        state="fulfilled", refurbisher=device.owner, mode="purchase", device_kind=device.kind
    )
    return Sale.objects.create(
        request=request,
        device=device,
        household=request.household,
        organisation=device.owner,
        number=Sale.objects.count() + 1,
        buyer_name="Acheteur",
        price=Decimal(price),
        payment_method="cash",
        sold_on=dt.date(2026, 6, 20),
        guarantee_until=dt.date(2028, 6, 20),
        presumption_until=dt.date(2027, 6, 20),
        sold_by=technician,
    )


@pytest.fixture
def scenario(refurbisher, technician):
    type(refurbisher).objects.filter(pk=refurbisher.pk).update(
        hourly_cost=Decimal("30"), inclusive_status="esat"
    )
    StageTime.objects.create(stage="mark_ready", kind="laptop", minutes=60)
    gisement = GisementFactory(refurbisher=refurbisher, name="Mairie de Chartres")
    donation = DonationFactory(gisement=gisement)
    Donation.objects.filter(pk=donation.pk).update(
        received_on=dt.date(2026, 6, 10), logistics_cost=Decimal("40")
    )
    laptops = [
        DeviceFactory(owner=refurbisher, kind="laptop", donation=donation, state="ready")
        for _ in range(3)
    ]
    phone = DeviceFactory(owner=refurbisher, kind="smartphone", state="ready")
    for device in (*laptops, phone):
        worked(device)
    may = DeviceFactory(owner=refurbisher, kind="laptop", donation=donation, state="ready")
    worked(may, at=timezone.make_aware(dt.datetime(2026, 5, 15, 10)))
    WorkTime.objects.create(
        device=laptops[2],
        device_cycle=1,
        stage="mark_ready",
        minutes=90,
        supported_minutes=60,
        recorded_by=technician,
        recorded_at=WORKED,
    )
    battery = Part.objects.create(
        organisation=refurbisher, category="battery", label="Batterie", unit_cost=25, quantity=5
    )
    ram = Part.objects.create(
        organisation=refurbisher, category="ram", label="DDR4 8 Go", unit_cost=12, quantity=10
    )
    PartUse.objects.create(
        device=laptops[0],
        part=battery,
        quantity=1,
        unit_cost=25,
        used_by=technician,
        used_at=WORKED,
    )
    PartUse.objects.create(
        device=laptops[1], part=ram, quantity=2, unit_cost=12, used_by=technician, used_at=WORKED
    )
    sell(laptops[0], "120", technician)
    sell(phone, "40", technician)
    LoanFactory(
        request__refurbisher=refurbisher,
        state="lost",
        started_on=dt.date(2026, 3, 1),
        closed_on=dt.date(2026, 6, 25),
        deposit_amount=Decimal("50"),
        deposit_paid_on=dt.date(2026, 3, 1),
    )
    funder = OrganisationFactory(name="Département", short_name="CD", is_funder=True)
    Funding.objects.create(
        funder=funder,
        name="Convention 2026",
        refurbisher=refurbisher,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        amount=Decimal("365"),
    )
    return {"laptops": laptops, "phone": phone, "gisement": gisement, "funder": funder}


# The stages ended are read from the events, from the nightly daily sums, or from both (the
# sums through 15 June, the events since): the figures must not depend on it.
ROLLED_UP_THROUGH = [None, dt.date(2026, 6, 14), dt.date(2026, 6, 15), dt.date(2026, 7, 31)]


@pytest.mark.parametrize("rolled_up_through", ROLLED_UP_THROUGH)
def test_the_dashboard_against_the_hand_computed_scenario(scenario, refurbisher, rolled_up_through):
    if rolled_up_through:
        assert roll_up_stage_work(rolled_up_through) > 0
    report = economics((refurbisher.pk,), *JUNE)
    laptop, phone = report.kinds
    assert (laptop.key, laptop.ready, laptop.minutes) == ("laptop", 3, 330)
    assert (laptop.labour, laptop.parts, laptop.logistics) == (
        Decimal("165.00"),
        Decimal("49.00"),
        Decimal("30.00"),
    )
    assert laptop.cost == Decimal("244.00")
    assert laptop.cost_per_ready == Decimal("81.33")
    assert laptop.break_even == Decimal("61.33")
    assert laptop.cap == Decimal("180.00") and laptop.within_cap is True
    assert (phone.key, phone.ready, phone.minutes) == ("smartphone", 1, 85)
    assert phone.cost == Decimal("52.50")
    assert phone.break_even == Decimal("32.50")
    assert report.ready == 4
    assert report.cost == Decimal("296.50")
    assert report.sales == Decimal("160.00")
    assert report.deposits_kept == Decimal("50.00")
    assert report.revenue == Decimal("210.00")
    assert report.funding == Decimal("30.00")
    assert report.coverage == Decimal("80.9")
    assert report.devices_per_technician_month == Decimal("87.7")
    assert report.supported_hours == Decimal("1.00")
    assert report.supported_by_stage["mark_ready"] == 60
    assert report.inclusive_organisations == [refurbisher.name]
    by_gisement = {line.label: line for line in report.gisements}
    chartres = by_gisement["Mairie de Chartres"]
    assert (chartres.ready, chartres.cost, chartres.cost_per_ready, chartres.sales) == (
        3,
        Decimal("254.00"),
        Decimal("84.67"),
        Decimal("120.00"),
    )
    assert by_gisement["—"].cost == Decimal("42.50")


def test_the_roll_up_sums_each_paris_day_once(scenario, refurbisher, other_refurbisher):
    # One row per day, kind, gisement and stage: on 15 June the laptops' three stages and
    # the phone's three; on 15 May the May laptop's three.
    assert roll_up_stage_work(dt.date(2026, 6, 30)) == 9
    assert roll_up_stage_work(dt.date(2026, 6, 30)) == 0  # nothing new: nothing written twice
    june = StageWorkDay.objects.filter(day=dt.date(2026, 6, 15))
    assert sorted(june.values_list("kind", "stage", "devices")) == [
        ("laptop", "mark_ready", 3),
        ("laptop", "register", 3),
        ("laptop", "wipe", 3),
        ("smartphone", "mark_ready", 1),
        ("smartphone", "register", 1),
        ("smartphone", "wipe", 1),
    ]
    # A device made ready at 00:30 on 1 July, Paris time (30 June, 22:30 UTC), is July's:
    # neither rolled up into June nor counted in June's figures.
    late = DeviceFactory(owner=refurbisher, kind="laptop", state="ready")
    DeviceEvent.objects.create(
        device=late, action="mark_ready", at=dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)
    )
    assert economics((refurbisher.pk,), *JUNE).ready == 4
    roll_up_stage_work(dt.date(2026, 7, 1))
    assert StageWorkDay.objects.get(day=dt.date(2026, 7, 1)).devices == 1
    assert economics((refurbisher.pk,), *JUNE).ready == 4
    assert economics((refurbisher.pk,), dt.date(2026, 7, 1), dt.date(2026, 7, 31)).ready == 1
    # Another refurbisher's rolled-up work is not in this one's figures.
    other = DeviceFactory(owner=other_refurbisher, kind="laptop", state="ready")
    DeviceEvent.objects.create(
        device=other, action="mark_ready", at=timezone.make_aware(dt.datetime(2026, 7, 2, 10))
    )
    roll_up_stage_work(dt.date(2026, 7, 2))
    july = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert economics((refurbisher.pk,), *july).ready == 1
    assert economics(None, *july).ready == 2


def test_without_an_hourly_cost_work_counts_zero_and_says_so(scenario, refurbisher):
    type(refurbisher).objects.filter(pk=refurbisher.pk).update(hourly_cost=None)
    report = economics((refurbisher.pk,), *JUNE)
    assert report.labour == Decimal("0.00")
    assert report.missing_hourly_cost == [refurbisher.name]


def test_parts_stock_is_consumed_and_never_below_zero(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    part = Part.objects.create(
        organisation=refurbisher, category="ssd", label="SSD 240 Go", unit_cost=22, quantity=2
    )
    use = parc_services.part_use(device.pk, part.pk, technician, quantity=2)
    assert use.unit_cost == Decimal("22.00")
    part.refresh_from_db()
    assert part.quantity == 0
    with pytest.raises(Refused) as refused:
        parc_services.part_use(device.pk, part.pk, technician)
    assert refused.value.code == "part_out_of_stock"
    parc_services.part_restock(part.pk, technician, quantity=3, unit_cost="20")
    part.refresh_from_db()
    assert (part.quantity, part.unit_cost) == (3, Decimal("20.00"))


def test_work_time_is_recorded_once_per_stage_and_cycle(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    parc_services.work_time_record(device.pk, technician, stage="wipe", minutes=40)
    parc_services.work_time_record(
        device.pk, technician, stage="wipe", minutes=50, supported_minutes=50
    )
    assert list(WorkTime.objects.values_list("minutes", "supported_minutes")) == [(50, 50)]


def _team(organisation, role, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


URL = reverse("rapports:economics") + "?debut=2026-06-01&fin=2026-06-30"


def test_the_page_for_the_team_not_for_funders_or_technicians(
    client, scenario, refurbisher, staff, technician
):
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert "Modèle économique" in page
    assert "296,50" in page and "80,9 %" in page and "61,33" in page
    funder_user = _team(scenario["funder"], "funder", "financeur-eco")
    for user in (technician, funder_user):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_another_refurbisher_sees_only_its_own(client, scenario, other_refurbisher):
    client.force_login(_team(other_refurbisher, "admin", "autre-admin"))
    page = client.get(URL).content.decode()
    assert "296,50" not in page
    assert "Aucun appareil travaillé sur la période." in page


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize("extra", [0, 6])
def test_query_budget(
    client, scenario, refurbisher, staff, extra, rolled_up, django_assert_max_num_queries
):
    for _ in range(extra):
        worked(DeviceFactory(owner=refurbisher, kind="tablet", state="ready"))
    if rolled_up:
        roll_up_stage_work(dt.date(2026, 6, 20))
    client.force_login(staff)
    with django_assert_max_num_queries(18):
        assert client.get(URL).status_code == 200


def test_loan_fees_and_a_gisement_s_own_economics(scenario, refurbisher):
    """The scenario plus, in June, a loan of laptop 2 (Mairie de Chartres) started with a
    15 € fee (paid by a voucher: counted once, as the fee) and a 90 € funding of the
    Mairie de Chartres gisement for June alone.

    Revenue 160 + 15 + 50 = 225.00 €; funding 30 + 90 = 120.00 €; coverage
    (225 + 120) / 296.50 = 116.4 %. Break-even of a laptop: (120 + 15 + 50) / 4 = 46.25 €
    of support per device, 81.33 − 46.25 = 35.08 €. Mairie de Chartres: 3 ready, cost
    254.00 € (84.67 € each), revenue 120 (sale) + 15 (fee) = 135.00 €, its own funding
    90.00 € (the refurbisher-wide one is not shared out), coverage (135 + 90) / 254 = 88.6 %.
    """
    laptop_2 = scenario["laptops"][1]
    loan = LoanFactory(
        request__refurbisher=refurbisher,
        device=laptop_2,
        started_on=dt.date(2026, 6, 18),
        fee_amount=Decimal("15"),
    )
    Voucher.objects.create(
        scheme="aptic",
        issuer="APTIC",
        issuer_key="aptic",
        number="F1",
        value=Decimal("15"),
        loan=loan,
        organisation=refurbisher,
        recorded_by=loan.started_by,
    )
    # A fee of a loan started in May is not June's revenue.
    LoanFactory(request__refurbisher=refurbisher, started_on=dt.date(2026, 5, 31), fee_amount=99)
    Funding.objects.create(
        funder=scenario["funder"],
        name="Chartres, juin",
        gisement=scenario["gisement"],
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 6, 30),
        amount=Decimal("90"),
    )
    report = economics((refurbisher.pk,), *JUNE)
    assert report.loan_fees == Decimal("15.00")
    assert report.revenue == Decimal("225.00")
    assert report.funding == Decimal("120.00")
    assert report.coverage == Decimal("116.4")
    laptop = report.kinds[0]
    assert (laptop.key, laptop.loan_fees, laptop.break_even) == (
        "laptop",
        Decimal("15"),
        Decimal("35.08"),
    )
    chartres = {line.label: line for line in report.gisements}["Mairie de Chartres"]
    assert (chartres.ready, chartres.cost, chartres.cost_per_ready) == (
        3,
        Decimal("254.00"),
        Decimal("84.67"),
    )
    assert (chartres.sales, chartres.loan_fees, chartres.revenue) == (
        Decimal("120"),
        Decimal("15"),
        Decimal("135.00"),
    )
    assert (chartres.funding, chartres.coverage) == (Decimal("90.00"), Decimal("88.6"))


# --- one gisement's economics in the funder's report ---------------------------------------


def _subject(kind, pk, gisement):
    from django.db.models import Q

    from rapports.selectors.scope import ReportSubject

    return ReportSubject(kind, pk, "", "", "", Q(pk=gisement.pk))


def test_a_gisement_s_economics_in_its_report(scenario, refurbisher, client):
    """The devices of the Mairie de Chartres donation, followed to today (open period): the
    three laptops of June and the one of May. Work: 4 × (10 + 30) min, then 3 × 60 min and
    the technician's 90 min: 430 min = 215.00 € at 30 €/h; parts 49.00 €; logistics 40.00 €:
    cost 304.00 €, 76.00 € per device made ready (4). Revenue: one sale (120 €), one
    payment: hidden, and the coverage with it.

    Then four more devices of the donation lent with a 15 € fee each: five payments,
    revenue 120 + 60 = 180.00 €; a 90 € funding of the gisement (the refurbisher-wide one is
    not shared out): coverage (180 + 90) / 304 = 88.8 %; the donation's own report has no
    funding: 180 / 304 = 59.2 %."""
    from rapports.selectors import gisement_report
    from rapports.selectors.scope import Period

    gisement = scenario["gisement"]
    donation = Donation.objects.get(gisement=gisement)
    report = gisement_report(_subject("gisement", gisement.pk, gisement), Period())
    e = report.economics
    assert (e.ready, e.labour, e.parts, e.logistics) == (
        4,
        Decimal("215.00"),
        Decimal("49.00"),
        Decimal("40.00"),
    )
    assert (e.cost, e.cost_per_ready) == (Decimal("304.00"), Decimal("76.00"))
    assert (e.payments, e.revenue_hidden, e.coverage) == (1, True, None)

    for _ in range(4):
        LoanFactory(
            request__refurbisher=refurbisher,
            device=DeviceFactory(owner=refurbisher, donation=donation, state="on_loan"),
            started_on=dt.date(2026, 6, 20),
            fee_amount=Decimal("15"),
        )
    Funding.objects.create(
        funder=scenario["funder"],
        name="Chartres, juin",
        gisement=gisement,
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 6, 30),
        amount=Decimal("90"),
    )
    e = gisement_report(_subject("gisement", gisement.pk, gisement), Period()).economics
    assert (e.cost, e.sales, e.loan_fees, e.revenue) == (
        Decimal("304.00"),
        Decimal("120.00"),
        Decimal("60.00"),
        Decimal("180.00"),
    )
    assert (e.payments, e.funding, e.coverage) == (5, Decimal("90.00"), Decimal("88.8"))
    # The same over June: the donation was received on 10 June, the funding is June's.
    june = gisement_report(_subject("gisement", gisement.pk, gisement), Period(*JUNE))
    assert june.economics.coverage == Decimal("88.8")
    # Over the first half of June, half of the funding.
    half = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    assert gisement_report(
        _subject("gisement", gisement.pk, gisement), half
    ).economics.funding == Decimal("45.00")
    own = gisement_report(_subject("don", donation.pk, gisement), Period()).economics
    assert (own.funding, own.coverage) == (None, Decimal("59.2"))


def test_the_funder_reads_it_on_the_page_and_in_the_files(scenario, client):
    gisement = scenario["gisement"]
    reader = UserFactory()
    MembershipFactory(user=reader, organisation=scenario["funder"], role="funder")
    client.force_login(reader)
    page = client.get(reverse("rapports:gisement", args=[gisement.pk])).content.decode()
    assert "Coût et recettes de ces appareils" in page
    assert "304,00 €" in page and "76,00 €" in page
    # One sale: its price is hidden.
    assert "120,00" not in page and "Recettes masquées" in page
    csv_text = b"".join(
        client.get(reverse("rapports:gisement_csv", args=[gisement.pk])).streaming_content
    ).decode("utf-8-sig")
    economics_lines = [line for line in csv_text.splitlines() if "modèle économique" in line]
    assert any("coût par appareil" in line and "76" in line for line in economics_lines)
    assert any("recettes" in line and "masqué" in line for line in economics_lines)
    pdf = client.get(reverse("rapports:gisement_pdf", args=[gisement.pk]))
    assert pdf.status_code == 200


def test_a_big_report_reads_the_economics_from_the_donations_summaries(
    scenario, refurbisher, settings
):
    """From RAPPORTS_SUMMARY_FROM_DEVICES devices the report sums the donations' summaries:
    the economics are summed with them and equal the live figures; a summary written before
    the economics existed sends the report back to live figures."""
    from rapports.models import DonationSummary
    from rapports.selectors import gisement_report
    from rapports.selectors.scope import Period
    from rapports.services import refresh_donation_summaries

    gisement = scenario["gisement"]
    subject = _subject("gisement", gisement.pk, gisement)
    live = gisement_report(subject, Period())
    settings.RAPPORTS_SUMMARY_FROM_DEVICES = 0
    refresh_donation_summaries()
    summed = gisement_report(subject, Period())
    assert summed.computed_at is not None
    assert summed.economics == live.economics
    assert (summed.economics.cost, summed.economics.ready) == (Decimal("304.00"), 4)
    summary = DonationSummary.objects.get()
    figures = dict(summary.figures)
    figures.pop("economics")
    DonationSummary.objects.filter(pk=summary.pk).update(figures=figures)
    old = gisement_report(subject, Period())
    assert old.computed_at is None and old.economics == live.economics


def test_a_fee_counts_in_the_month_it_was_paid_and_not_at_all_once_refunded(scenario, refurbisher):
    """Loan fees are revenue when paid (``fee_paid_on``), never once refunded: in June,
    15 € paid at a June handover + 20 € of a May loan paid on 2 June; not the 30 € refunded
    on 10 June, nor the 40 € not yet paid."""

    def loan(started, fee, **fields):
        return LoanFactory(
            request__refurbisher=refurbisher,
            started_on=started,
            fee_amount=Decimal(fee),
            **fields,
        )

    loan(dt.date(2026, 6, 18), 15)
    loan(dt.date(2026, 5, 31), 20, fee_paid_on=dt.date(2026, 6, 2))
    loan(
        dt.date(2026, 6, 5),
        30,
        fee_refunded_on=dt.date(2026, 6, 10),
        fee_refund_reason="device_faulty",
    )
    loan(dt.date(2026, 6, 6), 40, fee_paid_on=None)
    report = economics((refurbisher.pk,), *JUNE)
    assert report.loan_fees == Decimal("35.00")
    may = economics((refurbisher.pk,), dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert may.loan_fees == Decimal("0.00")


def test_a_refunded_fee_leaves_the_gisement_report_s_revenue_and_payments(scenario, refurbisher):
    from prets import services as loan_services
    from rapports.selectors import gisement_report
    from rapports.selectors.scope import Period

    gisement = scenario["gisement"]
    donation = Donation.objects.get(gisement=gisement)
    desk = UserFactory()
    MembershipFactory(user=desk, organisation=refurbisher, role="staff")
    loans = [
        LoanFactory(
            request__refurbisher=refurbisher,
            device=DeviceFactory(owner=refurbisher, donation=donation, state="on_loan"),
            started_on=dt.date(2026, 6, 20),
            fee_amount=Decimal("15"),
        )
        for _ in range(5)
    ]
    subject = _subject("gisement", gisement.pk, gisement)
    before = gisement_report(subject, Period()).economics
    assert (before.loan_fees, before.payments) == (Decimal("75.00"), 6)
    loan_services.loan_fee_refund(loans[0].pk, desk, reason="returned_early")
    after = gisement_report(subject, Period()).economics
    assert (after.loan_fees, after.payments) == (Decimal("60.00"), 5)
    assert after.revenue == before.revenue - Decimal("15")


def _summary_economics(donation):
    from rapports.models import DonationSummary

    return DonationSummary.objects.get(donation=donation).figures["economics"]


def test_work_time_parts_and_fees_refresh_the_donation_s_summary_at_once(
    scenario, refurbisher, technician, django_capture_on_commit_callbacks
):
    """Work time, parts and a loan fee write no device event: the ten-minute refresh did not
    see them, and the summary kept the old figures until the device's next event. The
    services now refresh the summary of the device's donation after commit."""
    from prets import services as loan_services
    from rapports.services import refresh_donation_summaries, stale_donation_ids

    donation = Donation.objects.get(gisement=scenario["gisement"])
    laptop = scenario["laptops"][0]
    refresh_donation_summaries()
    before = _summary_economics(donation)
    assert Decimal(before["parts"]) == Decimal("49")

    battery = Part.objects.get(label="Batterie")
    with django_capture_on_commit_callbacks(execute=True):
        parc_services.part_use(laptop.pk, battery.pk, technician)
    after_parts = _summary_economics(donation)
    assert Decimal(after_parts["parts"]) == Decimal("74")
    assert stale_donation_ids() == []  # nothing waits for the ten-minute task

    with django_capture_on_commit_callbacks(execute=True):
        parc_services.work_time_record(laptop.pk, technician, stage="mark_ready", minutes=120)
    after_work = _summary_economics(donation)
    # 60 minutes by default for a laptop's mark_ready, now 120: 30 € more at 30 € an hour.
    assert Decimal(after_work["minute_costs"]) - Decimal(after_parts["minute_costs"]) == 60 * 30

    desk = UserFactory()
    MembershipFactory(user=desk, organisation=refurbisher, role="staff")
    loan = LoanFactory(
        request__refurbisher=refurbisher,
        device=DeviceFactory(owner=refurbisher, donation=donation, state="on_loan"),
        started_on=dt.date(2026, 6, 20),
        fee_amount=Decimal("15"),
    )
    refresh_donation_summaries()
    assert Decimal(_summary_economics(donation)["fees"]) == Decimal("15")
    with django_capture_on_commit_callbacks(execute=True):
        loan_services.loan_fee_refund(loan.pk, desk, reason="entry_error")
    assert Decimal(_summary_economics(donation)["fees"]) == Decimal("0")


def test_work_on_a_device_without_a_summarised_donation_refreshes_nothing(
    scenario, refurbisher, technician, django_capture_on_commit_callbacks
):
    from rapports.models import DonationSummary

    loose = DeviceFactory(owner=refurbisher, kind="laptop", state="ready")  # no donation
    with django_capture_on_commit_callbacks(execute=True):
        parc_services.work_time_record(loose.pk, technician, stage="mark_ready", minutes=30)
        parc_services.work_time_record(
            scenario["laptops"][1].pk, technician, stage="mark_ready", minutes=30
        )
    # The donation had no summary: none is written here (the ten-minute task does).
    assert not DonationSummary.objects.exists()


def test_a_broker_down_costs_a_stale_summary_not_the_technician_s_page(
    scenario, technician, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from rapports import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.refresh_summaries_of_devices, "delay", down)
    laptop = scenario["laptops"][0]
    with django_capture_on_commit_callbacks(execute=True):
        parc_services.work_time_record(laptop.pk, technician, stage="mark_ready", minutes=45)
    assert WorkTime.objects.filter(device=laptop, minutes=45).exists()
    assert "summary refresh not queued" in caplog.text
