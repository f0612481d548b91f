"""The site's menu: which entries a user sees, and which one is the page they are on.

Each entry asks the app that owns its pages whether this user may open them (the apps'
permission helpers), so the menu offers no page that ends on a refusal. The roles are cached
on the user for the request: the menu costs no query of its own on most pages.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dons.permissions import can_read as may_read_donations
from exploitation.jobs import may_see_jobs
from prets.permissions import desk_organisation_ids, prescribing_organisation_ids
from rapports.access import may_read_reports, sees_dashboards


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Here:
    """The page being shown, as the URL resolver matched it."""

    namespace: str = ""
    name: str = ""
    route: str = ""

    @classmethod
    def of(cls, request) -> "Here":
        match = getattr(request, "resolver_match", None)
        if match is None:
            return cls()
        return cls(match.namespace, match.url_name or "", match.route)


# The donation pages composed here belong with the "Dons" entry.
DONATION_PAGES = frozenset(
    {"gisement", "donation", "donation_transition", "donation_document_add", "donor_link"}
)
HOUSEHOLD_PAGES = frozenset({"households", "household_create", "household_edit"})
DASHBOARDS_ROUTE = "tableaux-de-bord/"


def _everyone(user) -> bool:
    return True


# (label, URL name, who sees it, whether it is the current page)
ENTRIES: tuple[tuple[str, str, Callable, Callable[[Here], bool]], ...] = (
    (
        _("Appareils"),
        "parc:list",
        _everyone,
        lambda here: here.namespace == "parc" and here.name == "list",
    ),
    (
        _("Scanner"),
        "parc:scan",
        _everyone,
        lambda here: here.namespace == "parc" and here.name.startswith("scan"),
    ),
    (
        _("Dons"),
        "dons:gisements",
        may_read_donations,
        lambda here: (
            here.namespace == "dons" or (here.namespace == "www" and here.name in DONATION_PAGES)
        ),
    ),
    (
        _("Ateliers"),
        "ateliers:sessions",
        _everyone,
        lambda here: here.namespace == "ateliers",
    ),
    (
        _("Foyers"),
        "households",
        _everyone,
        lambda here: (
            (here.namespace == "" and here.name in HOUSEHOLD_PAGES)
            or (here.namespace == "www" and here.name == "household")
        ),
    ),
    (
        _("Demandes"),
        "prets:requests",
        # The requests a prescriber writes. An association's team also may write some for
        # its own households, but its work is the requests it receives (« Demandes
        # reçues »): the entry would stay empty for it, so only prescribing organisations
        # that are not also the user's desk show it.
        lambda user: bool(
            set(prescribing_organisation_ids(user)) - set(desk_organisation_ids(user))
        ),
        lambda here: here.namespace == "prets" and here.name == "requests",
    ),
    (
        _("Demandes reçues"),
        "prets:queue",
        lambda user: bool(desk_organisation_ids(user)),
        lambda here: here.namespace == "prets" and here.name == "queue",
    ),
    (
        _("Prêts"),
        "prets:loans",
        lambda user: bool(prescribing_organisation_ids(user) or desk_organisation_ids(user)),
        lambda here: here.namespace == "prets" and here.name == "loans",
    ),
    (
        _("Rapports"),
        "rapports:index",
        may_read_reports,
        lambda here: here.namespace == "rapports" and DASHBOARDS_ROUTE not in here.route,
    ),
    (
        _("Tableaux de bord"),
        "rapports:dashboards",
        sees_dashboards,
        lambda here: here.namespace == "rapports" and DASHBOARDS_ROUTE in here.route,
    ),
    (
        _("Traitements"),
        "exploitation:jobs",
        may_see_jobs,
        lambda here: here.namespace == "exploitation",
    ),
    (
        _("Administration"),
        "admin:index",
        lambda user: user.is_staff,
        lambda here: here.namespace == "admin",
    ),
    (
        _("Mon compte"),
        "account_security",
        _everyone,
        lambda here: here.namespace == "" and here.name == "account_security",
    ),
)


def menu_for(request) -> list[Entry]:
    """The entries this request's user sees, in order; none for an anonymous visitor."""
    user = request.user
    if not user.is_authenticated:
        return []
    here = Here.of(request)
    return [
        Entry(label=str(label), url=reverse(url_name), current=is_current(here))
        for label, url_name, sees, is_current in ENTRIES
        if sees(user)
    ]
