"""Columns that the apps above add to the household list.

The list is acteurs' page, while what a household has been given (requests, loans) is
written by apps of higher floors, which acteurs may not read. Such an app registers a
column when it starts (``AppConfig.ready``): a label and a function that returns, for a
page of households and the user looking at them, the HTML of each household's cell — read
through that app's own selectors, rendered with its own templates, in a fixed number of
queries per page.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HouseholdColumn:
    key: str
    label: str
    # (households of the page, user) -> {household id: safe HTML}
    cells: Callable[[list, object], dict]


_COLUMNS: dict[str, HouseholdColumn] = {}


def register(column: HouseholdColumn) -> None:
    _COLUMNS[column.key] = column


def columns() -> list[HouseholdColumn]:
    return list(_COLUMNS.values())


def cells_for(households: list, user) -> list[tuple[HouseholdColumn, dict]]:
    """Each registered column with its cells for these households."""
    return [(column, column.cells(households, user)) for column in columns()]
