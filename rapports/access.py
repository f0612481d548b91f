"""Who may read which report. Checked on the server by every report view and export.

- The coordination (admins of a coordinating organisation, superusers) reads everything.
- Admins and staff of a refurbishing organisation read the reports of their own
  organisation and of its gisements.
- Members with the funder role read what their organisation funds (``Funding``) and the
  gisements their organisation gave (a donor company's own report), nothing else.

Reading a report is not reading the names in it (``ReportScope.names_of``): the erasure
operators of the certificate annex, and a donor who is a private individual, are named only
to the coordination and to the admins and staff of the refurbisher; anyone else reads a
pseudonymous reference (``selectors.annex``) or « un particulier » (``selectors.scope``).
"""

from dataclasses import dataclass, field

from django.db.models import Q

from acteurs.models import Role
from acteurs.permissions import (
    coordinated_departements,
    is_coordinator,
    organisations_with_role,
    roles_by_organisation,
)

from .models import Funding

TEAM_ROLES = frozenset({Role.ADMIN, Role.STAFF})
# Who is offered the dashboards (what each one shows is still its report scope).
DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.FUNDER})


@dataclass(frozen=True)
class ReportScope:
    """What a user may report on. ``everything`` overrides the sets."""

    everything: bool = False
    refurbishers: frozenset[int] = field(default_factory=frozenset)  # whole organisations
    gisements: frozenset[int] = field(default_factory=frozenset)  # single funded gisements
    donors: frozenset[int] = field(default_factory=frozenset)  # gisements given by these
    # The organisations whose people the user may read by name in a report — their erasure
    # operators (the annex) and the private individuals who gave to their gisements: their
    # own team's; None for every organisation (the coordination). Funding or giving never
    # adds one: these names are the refurbisher's business.
    names_of: frozenset[int] | None = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.refurbishers or self.gisements or self.donors)

    def gisement_filter(self, prefix: str = "") -> Q:
        """A Q on Gisement (or on a relation to it, with ``prefix`` such as
        ``"donation__gisement__"``) that keeps the gisements in scope."""
        if self.everything:
            return Q()
        return (
            Q(**{f"{prefix}refurbisher_id__in": self.refurbishers})
            | Q(**{f"{prefix}pk__in": self.gisements})
            | Q(**{f"{prefix}donor_id__in": self.donors})
        )


def report_scope(user) -> ReportScope:
    """One or two queries; the result is cached on the user for the request."""
    cached = getattr(user, "_filiere_report_scope", None)
    if cached is not None:
        return cached
    if is_coordinator(user):
        departements = coordinated_departements(user)
        if departements is None:
            scope = ReportScope(everything=True, names_of=None)
        else:
            # A coordination of some départements (issue 15): the refurbishers and the
            # gisements of its territory.
            from dons.models import Gisement

            scope = ReportScope(
                refurbishers=frozenset(_refurbishers_in(departements).values_list("pk", flat=True)),
                gisements=frozenset(
                    Gisement.objects.filter(commune__departement_id__in=departements).values_list(
                        "pk", flat=True
                    )
                ),
                names_of=None,
            )
    else:
        teams = frozenset(organisations_with_role(user, TEAM_ROLES))
        funders = frozenset(organisations_with_role(user, {Role.FUNDER}))
        refurbishers, gisements = set(teams), set()
        if funders:
            for refurbisher_id, gisement_id in Funding.objects.filter(
                funder_id__in=funders
            ).values_list("refurbisher_id", "gisement_id"):
                if refurbisher_id:
                    refurbishers.add(refurbisher_id)
                if gisement_id:
                    gisements.add(gisement_id)
        scope = ReportScope(
            refurbishers=frozenset(refurbishers),
            gisements=frozenset(gisements),
            donors=funders,
            names_of=teams,
        )
    if user is not None and user.is_authenticated:
        user._filiere_report_scope = scope
    return scope


def _refurbishers_in(departements):
    from acteurs.models import Organisation

    return Organisation.objects.filter(
        is_refurbisher=True, commune__departement_id__in=departements
    )


def needs_organisations(user, owner_ids) -> tuple[int, ...] | None:
    """The organisations whose households' usage needs the user may count (issue 15): never
    a funder's, only the coordination's (every organisation: None) or the user's own team's
    among ``owner_ids`` (None: all in scope). An empty tuple: no needs figures at all."""
    if is_coordinator(user):
        departements = coordinated_departements(user)
        if departements is None:
            return owner_ids
        territory = set(_refurbishers_in(departements).values_list("pk", flat=True))
        return tuple(sorted(territory if owner_ids is None else territory & set(owner_ids)))
    teams = set(organisations_with_role(user, TEAM_ROLES))
    if owner_ids is not None:
        teams &= set(owner_ids)
    return tuple(sorted(teams))


def economics_refurbishers(user):
    """The refurbishers whose economics the user may read (issue 15): hourly costs, funding
    and revenue are the organisation's own business, so its admins and staff, and the
    coordination (every refurbisher). Funders read none of it here."""
    from acteurs.models import Organisation

    queryset = Organisation.objects.filter(is_refurbisher=True).order_by("name")
    if is_coordinator(user):
        departements = coordinated_departements(user)
        if departements is None:
            return queryset
        return queryset.filter(commune__departement_id__in=departements)
    return queryset.filter(pk__in=organisations_with_role(user, TEAM_ROLES))


def may_read_reports(user) -> bool:
    """Whether the user may read at least one report (the scope is cached per request)."""
    return user.is_authenticated and not report_scope(user).is_empty


def may_report_on(user, gisement) -> bool:
    """Whether the user may read the report of this gisement and of each of its donations
    (the pages that link to them ask; the report itself checks again). No query beyond the
    scope, cached for the request."""
    if not user.is_authenticated:
        return False
    scope = report_scope(user)
    return (
        scope.everything
        or gisement.refurbisher_id in scope.refurbishers
        or gisement.pk in scope.gisements
        or gisement.donor_id in scope.donors
    )


def sees_dashboards(user) -> bool:
    """Admins, staff and funders (and superusers). Reads the memberships already cached for
    the request: no query of its own on most pages."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(DASHBOARD_ROLES & set(roles_by_organisation(user).values()))
