"""Filters remembered per user and per list, for the list views of every app.

A list's view asks ``remembered_filters(request, "parc.devices", names)`` with the names of
its filter and sort parameters. A visit without any of them brings the user's last filters
back (``.redirect_url``: the list's address with them); a visit with them keeps them
(``.remember()`` once the view found them valid). « Réinitialiser les filtres » posts to the
list, which calls ``.forget()`` and redirects to its bare address: the defaults.

One query to read what is kept, one more to write only when the filters change.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from . import selectors, services

RESET_FIELD = "reinitialiser"


@dataclass
class RememberedFilters:
    user: object
    list_name: str
    query: str  # this request's filters, as kept
    saved: str  # what was kept before this request
    path: str
    bare: bool  # a visit with no parameter at all (not even an emptied filter)

    @property
    def redirect_url(self) -> str | None:
        """Where to send a visit without filters: the list with the kept ones, if any."""
        if not self.bare or not self.saved:
            return None
        return f"{self.path}?{self.saved}"

    @property
    def active(self) -> bool:
        """Whether the list shows filters (other than its defaults)."""
        return bool(self.query)

    def remember(self) -> None:
        """Keep this request's filters (emptied ones: forget them)."""
        if not self.bare:
            services.list_filters_remember(self.user, self.list_name, self.query, saved=self.saved)

    def forget(self) -> None:
        services.list_filters_forget(self.user, self.list_name)


def filters_query(params, names) -> str:
    """The non-empty values of ``names`` in ``params`` (a QueryDict), in the order of
    ``names``: the same filters always make the same text."""
    pairs = [(name, value) for name in names for value in params.getlist(name) if value != ""]
    return urlencode(pairs)


def remembered_filters(request, list_name: str, names) -> RememberedFilters:
    return RememberedFilters(
        user=request.user,
        list_name=list_name,
        query=filters_query(request.GET, names),
        saved=selectors.saved_list_filters(request.user, list_name),
        path=request.path,
        bare=not request.GET,
    )
