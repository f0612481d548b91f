"""Reads of gisements and donations, scoped to what the user may see. Views never build queries.

Who sees what: members of the refurbishing organisation with a pool role (admin, staff,
technician) see its gisements and donations; the coordination (and superusers) see every
organisation's. Another organisation's gisement or donation is a 404, never a 403.

A donation's devices are ``parc``'s rows: they are read by ``parc.selectors`` (the floor above),
never here, and the pages that show a donation with its devices are composed in ``www``.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.http import Http404
from django.utils import timezone

from acteurs.models import Commune, Organisation
from acteurs.permissions import (
    POOL_MANAGER_ROLES,
    POOL_ROLES,
    is_coordinator,
    organisations_with_role,
)
from core.transitions import TransitionInfo

from .models import (
    PUBLIC_DONOR_KINDS,
    STATES_ACCEPTING_DEVICES,
    Convention,
    ConventionStatus,
    Donation,
    DonationEvent,
    DonationLine,
    Gisement,
)
from .transitions import DONATION, TRANSITION_ORDER

# --- scope --------------------------------------------------------------------------------------


def visible_refurbisher_ids(user) -> list[int] | None:
    """Refurbishing organisations whose gisements the user sees; None means all of them."""
    if is_coordinator(user):
        return None
    return organisations_with_role(user, POOL_ROLES)


def managed_refurbishers(user) -> QuerySet[Organisation]:
    """Organisations for which the user may create gisements and donations."""
    queryset = Organisation.objects.filter(is_refurbisher=True)
    if not user.is_superuser:
        queryset = queryset.filter(pk__in=organisations_with_role(user, POOL_MANAGER_ROLES))
    return queryset.order_by("name")


def gisements_visible_to(user) -> QuerySet[Gisement]:
    org_ids = visible_refurbisher_ids(user)
    queryset = Gisement.objects.all()
    if org_ids is not None:
        queryset = queryset.filter(refurbisher_id__in=org_ids)
    return queryset


def donations_visible_to(user) -> QuerySet[Donation]:
    org_ids = visible_refurbisher_ids(user)
    queryset = Donation.objects.all()
    if org_ids is not None:
        queryset = queryset.filter(gisement__refurbisher_id__in=org_ids)
    return queryset


def donor_choices() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_donor=True).order_by("name")


def communes_for_gisements(user) -> QuerySet[Commune]:
    """Communes offered on the gisement form: those of the départements of the user's
    organisations (the whole of France would be 35,000 options)."""
    departements = Organisation.objects.filter(
        pk__in=organisations_with_role(user, POOL_ROLES), commune__isnull=False
    ).values("commune__departement_id")
    if user.is_superuser or not departements.exists():
        return Commune.objects.order_by("name")
    return Commune.objects.filter(departement_id__in=departements).order_by("name")


def refurbishers_for_filter(user) -> QuerySet[Organisation]:
    org_ids = visible_refurbisher_ids(user)
    queryset = Organisation.objects.filter(is_refurbisher=True)
    if org_ids is not None:
        queryset = Organisation.objects.filter(pk__in=org_ids)
    return queryset.order_by("name")


# --- gisements ----------------------------------------------------------------------------------


def _signed_convention_in_force(today: dt.date):
    return Convention.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        gisement=OuterRef("pk"),
        status=ConventionStatus.SIGNED,
    )


def gisement_list(user, *, filters: dict) -> QuerySet[Gisement]:
    """The list page: one query for the rows, whatever their number."""
    queryset = (
        gisements_visible_to(user)
        .select_related("donor", "refurbisher", "commune")
        .annotate(
            donation_count=Count("donations", distinct=True),
            has_convention=Exists(_signed_convention_in_force(timezone.localdate())),
        )
    )
    if filters.get("q"):
        text = filters["q"].strip()
        queryset = queryset.filter(
            Q(name__icontains=text)
            | Q(donor__name__icontains=text)
            | Q(contact_name__icontains=text)
        )
    for name in ("donor_kind", "frequency"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("refurbisher"):
        queryset = queryset.filter(refurbisher=filters["refurbisher"])
    if filters.get("convention") == "oui":
        queryset = queryset.filter(has_convention=True)
    elif filters.get("convention") == "non":
        queryset = queryset.filter(has_convention=False)
    return queryset.order_by("-id")


def gisement_for(user, pk: int) -> Gisement:
    try:
        return (
            gisements_visible_to(user)
            .select_related("donor", "refurbisher", "commune")
            .prefetch_related(Prefetch("conventions", queryset=Convention.objects.order_by("-id")))
            .get(pk=pk)
        )
    except Gisement.DoesNotExist:
        raise Http404 from None


def gisement_donations(gisement: Gisement) -> QuerySet[Donation]:
    """Donations of a gisement with their declared quantities."""
    return gisement.donations.prefetch_related(
        Prefetch("lines", queryset=DonationLine.objects.order_by("kind"))
    ).order_by("-id")


def convention_for(user, pk: int) -> Convention:
    org_ids = visible_refurbisher_ids(user)
    queryset = Convention.objects.select_related("gisement__donor", "gisement__refurbisher")
    if org_ids is not None:
        queryset = queryset.filter(gisement__refurbisher_id__in=org_ids)
    try:
        return queryset.get(pk=pk)
    except Convention.DoesNotExist:
        raise Http404 from None


# --- donations ----------------------------------------------------------------------------------


def donation_for(user, pk: int) -> Donation:
    try:
        return (
            donations_visible_to(user)
            .select_related(
                "gisement__donor", "gisement__refurbisher", "gisement__commune", "created_by"
            )
            .prefetch_related(
                Prefetch("lines", queryset=DonationLine.objects.order_by("kind")),
                "documents__uploaded_by",
            )
            .get(pk=pk)
        )
    except Donation.DoesNotExist:
        raise Http404 from None


def donation_history(donation: Donation, *, limit: int = 50) -> list[DonationEvent]:
    return list(donation.events.select_related("actor").order_by("-id")[:limit])


def donation_shared(share_key) -> Donation | None:
    """The donation a donor's link names, with what its page shows; None once revoked."""
    return (
        Donation.objects.select_related("gisement__donor", "gisement__refurbisher")
        .prefetch_related(Prefetch("lines", queryset=DonationLine.objects.order_by("kind")))
        .filter(share_key=share_key)
        .first()
    )


def donation_document_for(user, donation_pk: int, document_pk: int):
    donation = donation_for(user, donation_pk)
    for document in donation.documents.all():
        if document.pk == document_pk:
            return document
    raise Http404


def donations_open_for_registration(user, organisation_ids=None) -> QuerySet[Donation]:
    """Donations a device can still be registered for (``Donation.accepts_devices``), of an
    organisation where the user works on the pool."""
    allowed = organisations_with_role(user, POOL_ROLES)
    queryset = Donation.objects.filter(state__in=STATES_ACCEPTING_DEVICES).select_related(
        "gisement__donor"
    )
    if not user.is_superuser:
        queryset = queryset.filter(gisement__refurbisher_id__in=allowed)
    if organisation_ids is not None:
        queryset = queryset.filter(gisement__refurbisher_id__in=organisation_ids)
    return queryset.order_by("-id")


def transitions_for(donation: Donation, user) -> list[TransitionInfo]:
    """Actions this user may run on this donation now, in lifecycle order."""
    names = {
        t.name
        for t in donation.get_all_state_transitions()
        if t.source == donation.state and t.has_perm(donation, user)
    }
    return [DONATION.transitions[name] for name in TRANSITION_ORDER if name in names]


# --- roadmap figures ----------------------------------------------------------------------------


@dataclass
class RoadmapFigures:
    gisements: int
    recurring_gisements: int
    public_gisements: int
    partners: int
    partners_with_convention: int
    conventions_by_quarter: list[dict]

    @property
    def conventions_signed(self) -> int:
        return sum(row["count"] for row in self.conventions_by_quarter)


def roadmap_figures(user, *, today: dt.date | None = None) -> RoadmapFigures:
    """The figures the departmental roadmaps follow, over the gisements the user sees:

    - gisements référencés: gisements on record;
    - conventions signées per quarter: conventions by the quarter of their signature date,
      whatever became of them since (expired or terminated ones were signed all the same);
    - partenaires associés: distinct donor organisations with a gisement, and among them those
      with a signed convention in force today.
    """
    today = today or timezone.localdate()
    gisements = gisements_visible_to(user)
    counts = gisements.aggregate(
        total=Count("id"),
        recurring=Count("id", filter=Q(frequency="recurrent")),
        public=Count("id", filter=Q(donor_kind__in=PUBLIC_DONOR_KINDS)),
        partners=Count("donor", distinct=True),
    )
    in_force = Convention.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        status=ConventionStatus.SIGNED,
        gisement__in=gisements,
    )
    partners_with_convention = in_force.order_by().values("gisement__donor_id").distinct().count()
    quarters = _signed_by_quarter(
        Convention.objects.filter(gisement__in=gisements, signed_on__isnull=False)
    )
    return RoadmapFigures(
        gisements=counts["total"],
        recurring_gisements=counts["recurring"],
        public_gisements=counts["public"],
        partners=counts["partners"],
        partners_with_convention=partners_with_convention,
        conventions_by_quarter=quarters,
    )


@dataclass
class RoadmapPeriodFigures:
    gisements: int  # referenced by the end of the period
    new_gisements: int  # referenced during the period
    partners: int  # distinct donors with a gisement referenced by the end of the period
    partners_with_convention: int  # … with a signed convention in force at the end
    conventions_by_quarter: list[dict] = field(default_factory=list)

    @property
    def conventions_signed(self) -> int:
        return sum(row["count"] for row in self.conventions_by_quarter)


def roadmap_figures_between(
    *, scope: Q, territory: Q, start: dt.date, end: dt.date
) -> RoadmapPeriodFigures:
    """The roadmap figures of ``roadmap_figures`` over a period and a territory, for the
    reports. ``scope`` and ``territory`` are conditions on Gisement built by the caller (the
    report's access scope; the gisement's commune). Three queries."""
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    gisements = Gisement.objects.filter(scope, territory, created_at__lt=after)
    counts = gisements.aggregate(
        total=Count("id"),
        new=Count("id", filter=Q(created_at__gte=first)),
        partners=Count("donor", distinct=True),
    )
    partners_with_convention = (
        Convention.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=end),
            status__in=(ConventionStatus.SIGNED, ConventionStatus.EXPIRED),
            signed_on__lte=end,
            gisement__in=gisements,
        )
        .exclude(status=ConventionStatus.EXPIRED, expires_on__isnull=True)
        .order_by()
        .values("gisement__donor_id")
        .distinct()
        .count()
    )
    quarters = _signed_by_quarter(
        Convention.objects.filter(
            gisement__in=Gisement.objects.filter(scope, territory),
            signed_on__gte=start,
            signed_on__lte=end,
        )
    )
    return RoadmapPeriodFigures(
        gisements=counts["total"],
        new_gisements=counts["new"],
        partners=counts["partners"],
        partners_with_convention=partners_with_convention,
        conventions_by_quarter=quarters,
    )


def _signed_by_quarter(conventions) -> list[dict]:
    """Signed conventions (drafts left out) counted per calendar quarter, oldest first."""
    rows = (
        conventions.exclude(status=ConventionStatus.DRAFT)
        .annotate(year=ExtractYear("signed_on"), quarter=ExtractQuarter("signed_on"))
        .order_by()
        .values("year", "quarter")
        .annotate(count=Count("id"))
        .order_by("year", "quarter")
    )
    return [
        {
            "year": row["year"],
            "quarter": row["quarter"],
            "label": f"T{row['quarter']} {row['year']}",
            "count": row["count"],
        }
        for row in rows
    ]
