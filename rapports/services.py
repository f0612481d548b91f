"""The reports' writes: a long report (the PDF with its whole certificate annex) asked for,
then built in the background (rapports.tasks) and kept for download; the donations' device
summaries that big gisement reports sum (refreshed by rapports.tasks)."""

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Refused
from core.jobs import run_job

from .exports import BACKGROUND_ANNEX_LIMIT, filename, period_text
from .models import DonationSummary, ReportJob, SharedLink
from .selectors import (
    GisementReport,
    Period,
    ReportSubject,
    analytical_session,
    annex_rows,
    device_figures,
    gisement_report,
    subject_in_scope,
)

logger = logging.getLogger(__name__)

ANNEX_ROWS_PER_PART = 500


class ReportRefused(Refused):
    code = "report_refused"


def report_job_start(user, report: GisementReport) -> ReportJob:
    """Ask for the full PDF of a report; the task runs after the commit (at once when Celery
    is eager). Refused, with a French message, when the annex is too long for a PDF."""
    if report.is_empty:
        raise ReportRefused(_("Aucun appareil sur cette période : il n'y a rien à mettre en page."))
    if report.annex_total > BACKGROUND_ANNEX_LIMIT:
        raise ReportRefused(
            _(
                "L'annexe compte %(n)s effacements : au-delà de %(limit)s lignes, un PDF n'est "
                "plus lisible. Téléchargez l'annexe au format CSV (toutes les lignes), ou "
                "choisissez une période plus courte."
            )
            % {"n": report.annex_total, "limit": BACKGROUND_ANNEX_LIMIT}
        )
    subject, period = report.subject, report.period
    with transaction.atomic():
        job = ReportJob.objects.create(
            requested_by=user,
            subject_kind=subject.kind,
            subject_id=subject.pk,
            starts_on=period.start,
            ends_on=period.end,
            title=f"{subject.title} — {period_text(period)}"[:300],
            total=report.annex_total,
        )
        job.enqueue()
    return job


def run_report_job(job_id: int) -> None:
    """Lay the report out, then the annex by parts of 500 rows, saving progress after each
    part; a job already started is left alone. The scope is checked again: a user who lost
    access since asking gets a failed job, not the report."""
    from documents.rendering import render_pdf_in_parts

    from .access import report_scope
    from .exports import pdf_context

    def build(job: ReportJob) -> dict:
        subject: ReportSubject = subject_in_scope(
            report_scope(job.requested_by), job.subject_kind, job.subject_id
        )
        period = Period(job.starts_on, job.ends_on)
        report = gisement_report(subject, period)
        context = pdf_context(report, annex_limit=0)
        context["annex_follows"] = True
        parts = [("rapports/pdf/gisement_report.html", context)]
        chunk = []
        for row in annex_rows(subject, period, limit=BACKGROUND_ANNEX_LIMIT):
            chunk.append(row)
            if len(chunk) == ANNEX_ROWS_PER_PART:
                parts.append(_annex_part(chunk, report, first=len(parts) == 1))
                chunk = []
        if chunk:
            parts.append(_annex_part(chunk, report, first=len(parts) == 1))

        def progress(done_parts: int) -> None:
            job.beat(min(job.total, max(0, done_parts - 1) * ANNEX_ROWS_PER_PART))

        pdf = render_pdf_in_parts(parts, progress=progress)
        job.file.save(filename(subject, period, "pdf", "complet"), ContentFile(pdf), save=False)
        return {"done": job.total, "file": job.file.name}

    run_job(ReportJob, job_id, build)


def _annex_part(rows: list, report: GisementReport, *, first: bool):
    """A part of the annex; the first one opens with the annex's title."""
    from .selectors import ANNEX_COLUMNS

    return (
        "rapports/pdf/annex_part.html",
        {"report": report, "annex": rows, "annex_columns": ANNEX_COLUMNS, "first": first},
    )


def refresh_donation_summaries(donation_ids=None) -> int:
    """Compute the device figures of these donations (all of them when None), one donation
    at a time with the report's own queries (selectors.device_figures), and keep them as the
    donations' summaries. Returns the number of summaries written."""
    from django.db.models import Max

    from dons.models import Donation
    from parc.models import DeviceEvent

    if donation_ids is None:
        donation_ids = list(Donation.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for donation_id in donation_ids:
        with analytical_session():
            # Read before the figures: an event written meanwhile makes the summary stale.
            last_event_id = DeviceEvent.objects.aggregate(last=Max("pk"))["last"] or 0
            computed_at = timezone.now()
            figures = device_figures([donation_id])
            if not Donation.objects.filter(pk=donation_id).exists():
                continue
            DonationSummary.objects.update_or_create(
                donation_id=donation_id,
                defaults={
                    "computed_at": computed_at,
                    "last_event_id": last_event_id,
                    "figures": figures,
                },
            )
        written += 1
    return written


def refresh_summaries_of_devices(device_ids) -> int:
    """Refresh the summaries of these devices' donations, for those that have one (a donation
    without a summary is counted live until the ten-minute task writes it). Called, through
    ``parc.signals.device_figures_changed``, after work time, parts or a loan fee's payment or
    refund, which write no device event."""
    from parc.models import Device

    donation_ids = sorted(
        set(
            Device.objects.filter(
                pk__in=list(device_ids), donation__device_summary__isnull=False
            ).values_list("donation_id", flat=True)
        )
    )
    return refresh_donation_summaries(donation_ids) if donation_ids else 0


def stale_donation_ids() -> list[int]:
    """Donations whose summary is missing, or older than an event of one of their devices.

    Why events: every change the figures depend on writes a DeviceEvent (a transition, a
    medium added, an erasure recorded, an edit), and events are append-only with increasing
    ids. So the new events are an id range read from the primary key, however big the pool,
    instead of the maxima of ``state_changed_at`` over every device of every donation. Three
    queries."""
    from django.db.models import Max

    from dons.models import Donation
    from parc.models import DeviceEvent

    missing = list(
        Donation.objects.filter(device_summary__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    seen_up_to = dict(DonationSummary.objects.values_list("donation_id", "last_event_id"))
    if not seen_up_to:
        return missing
    changed = (
        DeviceEvent.objects.filter(
            pk__gt=min(seen_up_to.values()), device__donation_id__isnull=False
        )
        .values("device__donation_id")
        .annotate(last=Max("pk"))
        .order_by()
    )
    stale = [
        row["device__donation_id"]
        for row in changed
        if row["last"] > seen_up_to.get(row["device__donation_id"], row["last"])
    ]
    return missing + sorted(stale)


def household_summary_sets() -> dict[str, list[int]]:
    """The sets of donations whose equipped households are kept summarised (``HouseholdSummary``),
    by key: those a report or a home page asks for as a whole, when they hold at least
    ``RAPPORTS_SUMMARY_FROM_DEVICES`` devices (counted from the donations' device summaries):
    each gisement, donor and donation over every period, and each funder organisation's home
    page (what it funds and the gisements it gave). Smaller sets are counted live, fast.
    Three queries."""
    from django.conf import settings

    from dons.models import Donation

    from .models import Funding
    from .selectors import donation_set_key

    devices = {
        donation_id: sum(sum(row.values()) for row in figures.get("devices", {}).values())
        for donation_id, figures in DonationSummary.objects.values_list("donation_id", "figures")
    }
    donations = list(
        Donation.objects.order_by("pk").values_list(
            "pk", "gisement_id", "gisement__donor_id", "gisement__refurbisher_id"
        )
    )
    groups: dict[tuple, set[int]] = {}
    for pk, gisement_id, donor_id, _refurbisher_id in donations:
        groups.setdefault(("don", pk), set()).add(pk)
        groups.setdefault(("gisement", gisement_id), set()).add(pk)
        groups.setdefault(("donateur", donor_id), set()).add(pk)
    # A funder's home page: the donations of rapports.access.ReportScope's gisements for a
    # member of this funder only (fundings of a whole refurbisher or of a gisement, and the
    # gisements the funder gave).
    funded: dict[int, tuple[set, set]] = {}
    for funder_id, refurbisher_id, gisement_id in Funding.objects.values_list(
        "funder_id", "refurbisher_id", "gisement_id"
    ):
        refurbishers, gisements = funded.setdefault(funder_id, (set(), set()))
        if refurbisher_id:
            refurbishers.add(refurbisher_id)
        if gisement_id:
            gisements.add(gisement_id)
    for funder_id, (refurbishers, gisements) in funded.items():
        groups[("funder", funder_id)] = {
            pk
            for pk, gisement_id, donor_id, refurbisher_id in donations
            if refurbisher_id in refurbishers or gisement_id in gisements or donor_id == funder_id
        }
    threshold = settings.RAPPORTS_SUMMARY_FROM_DEVICES
    sets = {}
    for ids in groups.values():
        if ids and sum(devices.get(pk, 0) for pk in ids) >= threshold:
            sets[donation_set_key(ids)] = sorted(ids)
    return sets


def stale_household_summary_keys(sets: dict[str, list[int]]) -> list[str]:
    """Of these sets (``household_summary_sets``), those without a summary, or whose summary
    is older than a loan or a sale of one of their devices. Loans and sales are never
    deleted and their ids increase: the new ones are an id range read from the primary key,
    joined to their device for its donation. Three queries."""
    from django.db.models import Max

    from prets.models import Loan, Sale

    from .models import HouseholdSummary

    seen = {
        key: (set(ids), last_loan, last_sale)
        for key, ids, last_loan, last_sale in HouseholdSummary.objects.filter(
            key__in=list(sets)
        ).values_list("key", "donation_ids", "last_loan_id", "last_sale_id")
    }
    missing = [key for key in sets if key not in seen]
    if not seen:
        return missing

    def latest_by_donation(model, after: int) -> dict[int, int]:
        return dict(
            model.objects.filter(pk__gt=after, device__donation_id__isnull=False)
            .values("device__donation_id")
            .annotate(last=Max("pk"))
            .order_by()
            .values_list("device__donation_id", "last")
        )

    loans = latest_by_donation(Loan, min(row[1] for row in seen.values()))
    sales = latest_by_donation(Sale, min(row[2] for row in seen.values()))
    stale = [
        key
        for key, (ids, last_loan, last_sale) in seen.items()
        if any(loans.get(pk, 0) > last_loan or sales.get(pk, 0) > last_sale for pk in ids)
    ]
    return missing + sorted(stale)


def refresh_household_summaries(keys=None, sets=None) -> int:
    """Count the equipped households of these sets of donations (every set of
    ``household_summary_sets`` when None) with the report's own query
    (selectors.live_household_rows), one set at a time, and keep them as their summaries;
    the summaries of sets no longer asked for are deleted. Returns the summaries written."""
    from django.db.models import Max

    from prets.models import Loan, Sale

    from .models import HouseholdSummary
    from .selectors import live_household_rows

    if sets is None:
        sets = household_summary_sets()
        HouseholdSummary.objects.exclude(key__in=list(sets)).delete()
    written = 0
    for key in sets if keys is None else keys:
        donation_ids = sets.get(key)
        if donation_ids is None:
            continue
        with analytical_session():
            # Read before the figures: a loan or sale recorded meanwhile makes it stale.
            last_loan_id = Loan.objects.aggregate(last=Max("pk"))["last"] or 0
            last_sale_id = Sale.objects.aggregate(last=Max("pk"))["last"] or 0
            computed_at = timezone.now()
            rows = live_household_rows(donation_ids)
            HouseholdSummary.objects.update_or_create(
                key=key,
                defaults={
                    "donation_ids": donation_ids,
                    "computed_at": computed_at,
                    "last_loan_id": last_loan_id,
                    "last_sale_id": last_sale_id,
                    "figures": {"communes": rows},
                },
            )
        written += 1
    return written


def refresh_stale_household_summaries() -> int:
    """The summaries of the sets that got a loan or a sale since (or have none yet),
    recomputed; those of sets no longer asked for deleted."""
    from .models import HouseholdSummary

    sets = household_summary_sets()
    HouseholdSummary.objects.exclude(key__in=list(sets)).delete()
    return refresh_household_summaries(stale_household_summary_keys(sets), sets=sets)


def refresh_household_summaries_of_households(household_ids) -> int:
    """After a household's commune or categories were corrected
    (``acteurs.signals.household_figures_changed``): recompute the summaries of the sets
    holding a donation that equipped it. A few queries."""
    from prets.models import Loan, Sale

    from .models import HouseholdSummary

    household_ids = list(household_ids)
    donation_ids = set(
        Loan.objects.filter(household_id__in=household_ids).values_list(
            "device__donation_id", flat=True
        )
    ) | set(
        Sale.objects.filter(household_id__in=household_ids).values_list(
            "device__donation_id", flat=True
        )
    )
    donation_ids.discard(None)
    if not donation_ids:
        return 0
    sets = {
        key: ids
        for key, ids in HouseholdSummary.objects.values_list("key", "donation_ids")
        if donation_ids.intersection(ids)
    }
    return refresh_household_summaries(sorted(sets), sets=sets)


def shared_link_create(user, subject: ReportSubject, period: Period, days: int) -> SharedLink:
    """Make a signed link to the report of ``subject`` over ``period``, valid ``days`` days,
    and keep it for its author's home page."""
    from . import sharing

    days = min(int(days), sharing.MAX_DAYS)
    token = sharing.make_token(
        kind=subject.kind, pk=subject.pk, period=period, days=days, user_id=user.pk
    )
    now = timezone.now()
    return SharedLink.objects.create(
        author=user,
        subject_kind=subject.kind,
        subject_id=subject.pk,
        title=subject.title[: SharedLink._meta.get_field("title").max_length],
        starts_on=period.start,
        ends_on=period.end,
        token=token,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )


# Two roll-ups at once (beat and a manual run) would both write the same days.
STAGE_WORK_LOCK = 0x5354_4147  # "STAG"


def roll_up_stage_work(through=None) -> int:
    """Sum the stages of work ended each day (``parc.models.WorkStage``) into
    ``StageWorkDay``, from the day after the last one rolled up (or the first event) to
    ``through`` — yesterday, Paris time, by default: a day is rolled up once it is over.
    Celery beat runs it every hour (``rapports.roll_up_stage_work``). Returns the rows
    written."""
    from django.db import connection
    from django.db.models import Count, Max, Min
    from django.db.models.functions import TruncDate

    from parc.models import DeviceEvent, WorkStage

    from .economics import day_bounds
    from .models import StageWorkDay

    through = through or timezone.localdate() - timedelta(days=1)
    events = DeviceEvent.objects.filter(action__in=WorkStage.values)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STAGE_WORK_LOCK])
        last = StageWorkDay.objects.aggregate(last=Max("day"))["last"]
        if last is not None:
            start = last + timedelta(days=1)
        else:
            first_at = events.aggregate(first=Min("at"))["first"]
            if first_at is None:
                return 0
            start = timezone.localdate(first_at)
        if start > through:
            return 0
        first, after = day_bounds(start, through)
        days = (
            events.filter(at__gte=first, at__lt=after)
            .annotate(day=TruncDate("at"))
            .values(
                "day", "device__owner_id", "device__kind", "device__donation__gisement_id", "action"
            )
            .annotate(n=Count("id"))
            .order_by()
        )
        written, batch = 0, []
        for row in days.iterator(chunk_size=5000):
            batch.append(
                StageWorkDay(
                    day=row["day"],
                    owner_id=row["device__owner_id"],
                    kind=row["device__kind"],
                    gisement_id=row["device__donation__gisement_id"],
                    stage=row["action"],
                    devices=row["n"],
                )
            )
            if len(batch) == 5000:
                written += len(StageWorkDay.objects.bulk_create(batch))
                batch = []
        written += len(StageWorkDay.objects.bulk_create(batch))
    return written
