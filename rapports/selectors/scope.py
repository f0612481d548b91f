"""What a report is about: the period, the subject (a gisement, a donation, a donor's
gisements) checked against the user's scope, and the donations and devices they cover. The
period applies to the donations: a donation belongs to the period when its reception date
(else its pickup date, else the date it was recorded) falls inside it."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from dons.models import Donation, DonorKind, Gisement
from parc.models import Device

from ..access import ReportScope, report_scope
from ..models import ReportSubjectKind


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


@dataclass(frozen=True)
class ReportSubject:
    kind: str  # ReportSubjectKind
    pk: int
    title: str
    donor: str
    refurbishers: str
    gisement_q: Q  # on Gisement
    # Whose people (erasure operators) the reader may see by name (ReportScope.names_of):
    # the organisations' ids, None for all. The default names nobody: a subject built by
    # hand, or for a shared link, shows pseudonymous references only. Not part of the
    # report's content (``internal``: the API leaves it out). ``donor`` is already shown
    # as the reader may see it (``shown_donor``).
    names_of: frozenset[int] | None = field(default_factory=frozenset, metadata={"internal": True})

    @property
    def kind_label(self) -> str:
        return ReportSubjectKind(self.kind).label

    def names_people_of(self, organisation_id: int | None) -> bool:
        """Whether the reader sees the names of this organisation's people."""
        return self.names_of is None or organisation_id in self.names_of


def shown_donor(scope: ReportScope, donor_id: int, name: str, kind: str, refurbisher_id) -> str:
    """A donor's name as the reader may see it. A private individual (donor kind
    « particulier », recorded as « Particulier – Nom ») is a person: named only to the
    refurbisher's admins and staff, the coordination and the donor's own members; anyone
    else (a funder) reads « un particulier » and the donor's number."""
    if (
        kind != DonorKind.INDIVIDUAL
        or scope.names_of is None
        or refurbisher_id in scope.names_of
        or donor_id in scope.donors
    ):
        return name
    return str(_("un particulier (donateur n° %(id)s)") % {"id": donor_id})


def _gisement_donor(scope: ReportScope, gisement: Gisement) -> str:
    return shown_donor(
        scope, gisement.donor_id, gisement.donor.name, gisement.donor_kind, gisement.refurbisher_id
    )


def gisements_in_scope(scope: ReportScope) -> QuerySet[Gisement]:
    return Gisement.objects.filter(scope.gisement_filter())


def report_index(user) -> dict:
    """What the user may report on: gisements and donors, three queries at most."""
    scope = report_scope(user)
    if scope.is_empty:
        return {"gisements": [], "donors": []}
    gisements = list(
        gisements_in_scope(scope)
        .select_related("donor", "refurbisher")
        .annotate(donation_count=Count("donations"))
        .order_by("donor__name", "name")
    )
    shown: dict[int, str] = {}
    for g in gisements:
        g.donor_shown = shown_donor(scope, g.donor_id, g.donor.name, g.donor_kind, g.refurbisher_id)
        # A donor is hidden if any of its gisements the reader sees hides it.
        if shown.get(g.donor_id, g.donor.name) == g.donor.name:
            shown[g.donor_id] = g.donor_shown
    donors = list(Organisation.objects.filter(pk__in=sorted(shown)).order_by("name"))
    for donor in donors:
        donor.shown_name = shown[donor.pk]
    return {"gisements": gisements, "donors": donors}


def subject_for(user, kind: str, pk: int) -> ReportSubject:
    """The subject of a report if the user may read it; 404 otherwise (one or two queries)."""
    return subject_in_scope(report_scope(user), kind, pk)


def subject_in_scope(scope: ReportScope, kind: str, pk: int) -> ReportSubject:
    if scope.is_empty:
        raise Http404
    allowed = scope.gisement_filter()
    if kind == ReportSubjectKind.GISEMENT:
        gisement = (
            Gisement.objects.filter(allowed, pk=pk).select_related("donor", "refurbisher").first()
        )
        if gisement is None:
            raise Http404
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=gisement.name,
            donor=_gisement_donor(scope, gisement),
            refurbishers=gisement.refurbisher.name,
            gisement_q=Q(pk=pk),
            names_of=scope.names_of,
        )
    if kind == ReportSubjectKind.DONATION:
        donation = (
            Donation.objects.filter(scope.gisement_filter("gisement__"), pk=pk)
            .select_related("gisement__donor", "gisement__refurbisher")
            .first()
        )
        if donation is None:
            raise Http404
        gisement = donation.gisement
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=f"{donation} — {gisement.name}",
            donor=_gisement_donor(scope, gisement),
            refurbishers=gisement.refurbisher.name,
            gisement_q=Q(pk=gisement.pk),
            names_of=scope.names_of,
        )
    if kind == ReportSubjectKind.DONOR:
        rows = list(
            Gisement.objects.filter(allowed, donor_id=pk)
            .values_list("donor__name", "refurbisher__name", "refurbisher_id", "donor_kind")
            .distinct()
            .order_by("refurbisher__name")
        )
        if not rows:
            raise Http404
        name = rows[0][0]
        # Hidden if any of the donor's gisements the reader sees hides it.
        donor = next(
            (
                shown
                for _name, _refurbisher, refurbisher_id, donor_kind in rows
                if (shown := shown_donor(scope, pk, name, donor_kind, refurbisher_id)) != name
            ),
            name,
        )
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=str(_("Tous les gisements de %(donor)s") % {"donor": donor}),
            donor=donor,
            refurbishers=", ".join(dict.fromkeys(refurbisher for _n, refurbisher, *_ in rows)),
            gisement_q=allowed & Q(donor_id=pk),
            names_of=scope.names_of,
        )
    raise Http404


def donation_day():
    """The date a donation counts on for a period (see the module docstring)."""
    return Coalesce("received_on", "pickup_date", TruncDate("created_at"), output_field=DateField())


def donations_for(subject: ReportSubject, period: Period) -> QuerySet[Donation]:
    queryset = Donation.objects.filter(gisement__in=Gisement.objects.filter(subject.gisement_q))
    if subject.kind == ReportSubjectKind.DONATION:
        queryset = queryset.filter(pk=subject.pk)
    if not period.is_open:
        queryset = queryset.annotate(day=donation_day())
        if period.start:
            queryset = queryset.filter(day__gte=period.start)
        if period.end:
            queryset = queryset.filter(day__lte=period.end)
    return queryset


def _prefixed(q: Q, prefix: str) -> Q:
    """The same Q, on a relation to the model it was written for (``prefix`` such as
    ``"donation__gisement__"``)."""
    prefixed = Q(*(), _connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            prefixed.children.append(_prefixed(child, prefix))
        else:
            lookup, value = child
            prefixed.children.append((f"{prefix}{lookup}", value))
    return prefixed


def donation_conditions(subject: ReportSubject, period: Period, prefix: str) -> list:
    """Filters keeping the rows related (through ``prefix``, such as ``"device__donation__"``)
    to the donations of the report. Joins, not ``IN (subquery)``: PostgreSQL then knows how
    many devices a donation has and plans hash joins instead of a million index probes."""
    conditions: list = [_prefixed(subject.gisement_q, f"{prefix}gisement__")]
    if subject.kind == ReportSubjectKind.DONATION:
        conditions.append(Q(**{f"{prefix}pk": subject.pk}))
    if not period.is_open:
        day = Coalesce(
            f"{prefix}received_on",
            f"{prefix}pickup_date",
            TruncDate(f"{prefix}created_at"),
            output_field=DateField(),
        )
        if period.start:
            conditions.append(GreaterThanOrEqual(day, period.start))
        if period.end:
            conditions.append(LessThanOrEqual(day, period.end))
    return conditions


def devices_for(subject: ReportSubject, period: Period) -> QuerySet[Device]:
    return Device.objects.filter(*donation_conditions(subject, period, "donation__"))
