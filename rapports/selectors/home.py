"""What the home page shows a funder and the coordination (composed in www): aggregates only,
counts of households under the secrecy rule (1 to 4 shown "< 5"), nothing personal."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from acteurs.models import Role
from acteurs.permissions import is_coordinator, organisations_with_role
from dons.models import Donation

from ..access import report_scope
from ..disclosure import small
from ..models import Funding, ReportJob, SharedLink
from .figures import Outcome, _summed_figures, device_figures
from .households import household_rows
from .scope import gisements_in_scope, report_index

SHOWN = 5
# Outcomes counted as "in a household's hands or kept for one" on the funder's summary.
REUSED = (*Outcome.HANDED_ON, Outcome.ON_LOAN, Outcome.ALLOCATED)
WORKSHOP = (Outcome.READY, Outcome.IN_PROGRESS)
OUT_OF_USE = (Outcome.PARTS, Outcome.RECYCLED, Outcome.LOST)


@dataclass
class FunderHome:
    fundings: list  # Funding rows of the user's funder organisations
    devices: int  # devices received through what they fund, since the start
    reused: int  # handed on to a household (sold, given, kept, on loan, allocated)
    in_workshop: int  # being refurbished or ready on the shelves
    out_of_use: int  # parts, recycled, lost
    media_wiped: int  # storage media erased or destroyed
    households: object  # households equipped, under the secrecy rule (small)
    computed_at: dt.datetime | None  # when the summed summaries were computed (big scopes)
    gisements: list  # the reports the user may read: gisements…
    donors: list  # …and donors
    jobs: list  # their latest long reports (PDF with the annex)
    links: list  # their shared links still valid


def funder_home(user) -> FunderHome | None:
    """For members with the funder role; None for anyone else. About ten queries whatever
    the number of devices: the device figures are summed from the donations' summaries for a
    big scope (``RAPPORTS_SUMMARY_FROM_DEVICES``), else counted by four grouped queries."""
    funder_ids = organisations_with_role(user, {Role.FUNDER})
    if not funder_ids:
        return None
    scope = report_scope(user)
    fundings = list(
        Funding.objects.filter(funder_id__in=funder_ids)
        .select_related("funder", "refurbisher", "gisement")
        .order_by("name")
    )
    donation_ids = list(
        Donation.objects.filter(gisement__in=gisements_in_scope(scope)).values_list("pk", flat=True)
    )
    figures, computed_at = _summed_figures(donation_ids)
    if figures is None:
        figures = device_figures(donation_ids) if donation_ids else None
    outcomes: dict[str, int] = {}
    for row in (figures or {}).get("devices", {}).values():
        for outcome, count in row.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    media = (figures or {}).get("media", {})
    # From the summary of exactly these donations for a big scope (one per funder is kept),
    # else counted live.
    communes, _households_at = household_rows(donation_ids, sum(outcomes.values()))
    households = sum(row["n"] for row in communes)
    index = report_index(user)
    now = timezone.now()
    return FunderHome(
        fundings=fundings,
        devices=sum(outcomes.values()),
        reused=sum(outcomes.get(name, 0) for name in REUSED),
        in_workshop=sum(outcomes.get(name, 0) for name in WORKSHOP),
        out_of_use=sum(outcomes.get(name, 0) for name in OUT_OF_USE),
        media_wiped=media.get("erased", 0) + media.get("destroyed", 0),
        households=small(households),
        computed_at=computed_at,
        gisements=index["gisements"][:SHOWN],
        donors=index["donors"][:SHOWN],
        jobs=list(ReportJob.objects.filter(requested_by=user).order_by("-id")[:SHOWN]),
        links=list(
            SharedLink.objects.filter(author=user, expires_at__gt=now).order_by("-id")[:SHOWN]
        ),
    )


@dataclass
class CoordinationHome:
    start: dt.date
    end: dt.date
    report: object  # dashboard_selectors.RoadmapReport
    handovers: object  # disclosure.ShownHandovers


def coordination_home(user, *, today: dt.date | None = None) -> CoordinationHome | None:
    """The roadmap indicators of the last twelve months over the whole département, as the
    roadmap page shows them by default; None for anyone but the coordination."""
    if not is_coordinator(user):
        return None
    from .. import disclosure
    from ..dashboard_forms import RoadmapForm, Territory
    from ..dashboard_selectors import roadmap_report

    start, end = RoadmapForm(None, today=today).default_period
    report = roadmap_report(report_scope(user), Territory(), start, end)
    return CoordinationHome(
        start=start, end=end, report=report, handovers=disclosure.handovers(report.handovers)
    )
