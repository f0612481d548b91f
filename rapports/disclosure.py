"""The statistical-secrecy rules of every page and file a funder may read.

Primary: a count of people (or of loans, which stand for people) from 1 to 4 is shown as
"< 5" so no one can be recognised; 0 stays 0, as there is no one to recognise. Rates over
fewer than 5 cases are not shown.

Secondary (``suppress``): where a table also prints its totals, a hidden cell could be
recovered by subtraction (a row of 12 with cells 7, "< 5" and 2 gives the hidden 3). So when
a cell is hidden, enough other cells, or the total, are hidden too ("masqué") that no hidden
cell can be worked out from the figures shown, whatever combination of the table's sums the
reader uses. The check is exact: a hidden cell is recoverable when it is determined by the
linear equations of the sums restricted to the hidden cells (Gaussian elimination over
fractions; the tables are small). The figure added each time is a visible one that takes part
in a sum with the exposed cell: the one that leaves the fewest cells still exposed (looking one
step ahead), then the smallest (the least information lost), cells before totals. It protects
against exact recovery; a reader may still bound a hidden cell (it is between 1 and 4, or not).

``suppress`` works on any set of sums (a grid with row and column totals, a hierarchy such as
EPCI → communes, figures printed in several tables); ``suppress_table`` is the grid case.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

SMALL_COUNT = 5
PRIMARY_TEXT = f"< {SMALL_COUNT}"
SECONDARY_TEXT = _("masqué")
SECONDARY_LEGEND = _(
    "« masqué » : chiffre caché pour qu'un effectif de 1 à 4 ne puisse pas être retrouvé par "
    "soustraction à partir des totaux."
)


def small(count):
    """The count, or "< 5" for 1 to 4; None stays None; an already hidden value as it is."""
    if count is None or isinstance(count, Hidden | str):
        return count
    if 0 < count < SMALL_COUNT:
        return PRIMARY_TEXT
    return count


@dataclass(frozen=True)
class Hidden:
    """A figure not shown: ``primary`` (1 to 4) or secondary (hidden to protect one)."""

    primary: bool

    def __str__(self) -> str:
        return PRIMARY_TEXT if self.primary else str(SECONDARY_TEXT)


PRIMARY = Hidden(primary=True)
SECONDARY = Hidden(primary=False)

Key = Hashable
Sum = tuple[Key, Sequence[Key]]  # (total, parts): total = sum of the parts


def suppress(counts: Mapping[Key, int], sums: Iterable[Sum]) -> dict[Key, int | Hidden]:
    """Every count, or ``PRIMARY``/``SECONDARY`` where it must not be shown.

    ``counts`` holds every figure printed, totals included; ``sums`` the additive relations
    between them that a reader knows (each total equals the sum of its parts). A figure in no
    sum only gets the primary rule.
    """
    sums = [(total, tuple(parts)) for total, parts in sums]
    order = {key: index for index, key in enumerate(counts)}
    is_total = {total for total, _parts in sums}
    hidden: dict[Key, Hidden] = {
        key: PRIMARY for key, value in counts.items() if 0 < value < SMALL_COUNT
    }
    while True:
        exposed = _recoverable(hidden, sums, order)
        if exposed is None:
            break
        candidates = {
            key
            for total, parts in sums
            if exposed in (total, *parts)
            for key in (total, *parts)
            if key not in hidden
        }
        if not candidates:  # every cell of its sums hidden: widen to any sum with a hidden cell
            candidates = {
                key
                for total, parts in sums
                if any(k in hidden for k in (total, *parts))
                for key in (total, *parts)
                if key not in hidden
            }
        if not candidates:
            break  # nothing left to hide (cannot happen with consistent sums)

        def cost(key):
            trial = {**hidden, key: SECONDARY}
            return (
                counts[key] == 0,  # a zero protects nothing (it is printed as 0 elsewhere)
                len(_determined(trial, sums, order)),  # what would still be exposed
                counts[key],  # the least information lost
                key in is_total,
                order[key],
            )

        chosen = min(candidates, key=cost)
        hidden[chosen] = SECONDARY
    return {key: hidden.get(key, value) for key, value in counts.items()}


def _recoverable(hidden, sums, order) -> Key | None:
    """The first hidden key whose value the sums determine, or None."""
    determined = _determined(hidden, sums, order)
    return determined[0] if determined else None


def _determined(hidden, sums, order) -> list[Key]:
    """The hidden keys whose values the sums determine. Each sum restricted to the hidden keys
    is one equation (the visible figures are known constants); a key is determined when its
    unit vector lies in the row space of those equations."""
    columns = sorted(hidden, key=order.__getitem__)
    if not columns:
        return []
    index = {key: i for i, key in enumerate(columns)}
    rows = []
    for total, parts in sums:
        row = [Fraction(0)] * len(columns)
        touched = False
        if total in index:
            row[index[total]] -= 1
            touched = True
        for part in parts:
            if part in index:
                row[index[part]] += 1
                touched = True
        if touched:
            rows.append(row)
    pivots = _reduce(rows, len(columns))
    return [
        columns[column]
        for column, row in sorted(pivots.items())
        if all(value == 0 for i, value in enumerate(row) if i != column)
    ]


def _reduce(rows: list[list[Fraction]], width: int) -> dict[int, list[Fraction]]:
    """Reduced row echelon form: {pivot column: its row}."""
    pivots: dict[int, list[Fraction]] = {}
    rank = 0
    for column in range(width):
        found = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[rank], rows[found] = rows[found], rows[rank]
        pivot = rows[rank]
        factor = pivot[column]
        pivot[:] = [value / factor for value in pivot]
        for r, row in enumerate(rows):
            if r != rank and row[column] != 0:
                scale = row[column]
                row[:] = [a - scale * b for a, b in zip(row, pivot, strict=True)]
        rank += 1
    for row in rows[:rank]:
        column = next(i for i, value in enumerate(row) if value != 0)
        pivots[column] = row
    return pivots


@dataclass
class SuppressedTable:
    cells: list[list[int | Hidden]]
    row_totals: list[int | Hidden] | None
    column_totals: list[int | Hidden] | None
    grand_total: int | Hidden | None


def suppress_table(
    cells: Sequence[Sequence[int]],
    *,
    row_totals: Sequence[int] | None = None,
    column_totals: Sequence[int] | None = None,
    grand_total: int | None = None,
) -> SuppressedTable:
    """A grid of counts with the totals printed beside it (any of them may be absent)."""
    counts: dict[Key, int] = {}
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            counts[("cell", i, j)] = value
    sums: list[Sum] = []
    width = len(cells[0]) if cells else 0
    if row_totals is not None:
        for i, value in enumerate(row_totals):
            counts[("row", i)] = value
            sums.append((("row", i), [("cell", i, j) for j in range(width)]))
    if column_totals is not None:
        for j, value in enumerate(column_totals):
            counts[("column", j)] = value
            sums.append((("column", j), [("cell", i, j) for i in range(len(cells))]))
    if grand_total is not None:
        counts[("total",)] = grand_total
        if row_totals is not None:
            sums.append((("total",), [("row", i) for i in range(len(cells))]))
        if column_totals is not None:
            sums.append((("total",), [("column", j) for j in range(width)]))
        if row_totals is None and column_totals is None:
            sums.append((("total",), [key for key in counts if key[0] == "cell"]))
    shown = suppress(counts, sums)
    return SuppressedTable(
        cells=[[shown[("cell", i, j)] for j in range(width)] for i in range(len(cells))],
        row_totals=None
        if row_totals is None
        else [shown[("row", i)] for i in range(len(row_totals))],
        column_totals=None
        if column_totals is None
        else [shown[("column", j)] for j in range(len(column_totals))],
        grand_total=None if grand_total is None else shown[("total",)],
    )


def has_secondary(values: Iterable) -> bool:
    return any(value == SECONDARY for value in values)


# --- the funder-facing tables, as printed --------------------------------------------------------
# Each adapter lists the figures a page prints and the sums a reader can make between them
# (including across tables of the same page), runs ``suppress`` once, and returns the figures
# to print. A rate is printed only when both its terms are.


@dataclass
class ShownTerritory:
    name: str
    shown: int | Hidden
    communes: list[tuple[str, int | Hidden]]


@dataclass
class ShownHouseholds:
    total: int | Hidden
    territories: list[ShownTerritory]
    secondary: bool


def gisement_households(report) -> ShownHouseholds:
    """The gisement report's equipped households: total = EPCIs = communes of each EPCI."""
    counts: dict[Key, int] = {("total",): report.households}
    sums: list[Sum] = [(("total",), [("epci", i) for i in range(len(report.territories))])]
    for i, epci in enumerate(report.territories):
        counts[("epci", i)] = epci.households
        parts = []
        for j, commune in enumerate(epci.communes):
            counts[("commune", i, j)] = commune.households
            parts.append(("commune", i, j))
        sums.append((("epci", i), parts))
    shown = suppress(counts, sums)
    return ShownHouseholds(
        total=shown[("total",)],
        territories=[
            ShownTerritory(
                name=epci.name,
                shown=shown[("epci", i)],
                communes=[
                    (commune.commune, shown[("commune", i, j)])
                    for j, commune in enumerate(epci.communes)
                ],
            )
            for i, epci in enumerate(report.territories)
        ],
        secondary=has_secondary(shown.values()),
    )


def _rate(part, whole) -> float | None:
    if isinstance(part, Hidden) or isinstance(whole, Hidden) or whole < SMALL_COUNT:
        return None
    return round(100 * part / whole, 1)


@dataclass
class ShownLoanReport:
    requests_total: int | Hidden
    by_state: list[tuple[str, int | Hidden]]
    prescribers: list[dict]
    decided: int | Hidden
    approval_rate: float | None
    ended: dict[str, int | Hidden]
    ended_total: int | Hidden
    return_rate: float | None
    secondary: bool


def loan_report(report, states: Sequence[tuple[str, str]]) -> ShownLoanReport:
    """The loan-scheme report: requests by state and by prescribing structure (sent, accepted,
    equipped), the decisions behind the approval rate, and loans ended by outcome behind the
    return rate. ``states`` are the (value, label) rows printed, drafts excluded."""
    requests, loans = report.requests, report.loans
    counts: dict[Key, int] = {
        ("total",): requests.total,
        ("decided",): requests.decided,
        ("accepted",): requests.accepted,
        ("ended_total",): loans.ended_total,
    }
    for value, _label in states:
        counts[("state", value)] = requests.by_state.get(value, 0)
    for outcome, value in loans.ended.items():
        counts[("ended", outcome)] = value
    prescribers = list(requests.by_prescriber)
    for i, row in enumerate(prescribers):
        for column in ("total", "accepted", "fulfilled"):
            counts[("prescriber", i, column)] = row[column]
    sums: list[Sum] = [
        (("total",), [("state", value) for value, _label in states]),
        (("total",), [("prescriber", i, "total") for i in range(len(prescribers))]),
        (("accepted",), [("prescriber", i, "accepted") for i in range(len(prescribers))]),
        (("decided",), [("accepted",), ("state", "rejected")]),
        (("ended_total",), [("ended", outcome) for outcome in loans.ended]),
    ]
    if ("state", "fulfilled") in counts:
        sums.append(
            (
                ("state", "fulfilled"),
                [("prescriber", i, "fulfilled") for i in range(len(prescribers))],
            )
        )
    shown = suppress(counts, sums)
    return ShownLoanReport(
        requests_total=shown[("total",)],
        by_state=[(label, shown[("state", value)]) for value, label in states],
        prescribers=[
            {
                "name": row["name"],
                **{c: shown[("prescriber", i, c)] for c in ("total", "accepted", "fulfilled")},
            }
            for i, row in enumerate(prescribers)
        ],
        decided=shown[("decided",)],
        approval_rate=_rate(shown[("accepted",)], shown[("decided",)]),
        ended={outcome: shown[("ended", outcome)] for outcome in loans.ended},
        ended_total=shown[("ended_total",)],
        return_rate=_rate(shown[("ended", "returned")], shown[("ended_total",)]),
        secondary=has_secondary(shown.values()),
    )


@dataclass
class ShownHandovers:
    total: int | Hidden
    loans: int | Hidden
    sales: int | Hidden
    gifts: int | Hidden
    secondary: bool


def handovers(counts) -> ShownHandovers:
    """The roadmap's devices made accessible: total = lent + sold + given."""
    shown = suppress(
        {
            "total": counts.total,
            "loans": counts.loans,
            "sales": counts.sales,
            "gifts": counts.gifts,
        },
        [("total", ["loans", "sales", "gifts"])],
    )
    return ShownHandovers(**shown, secondary=has_secondary(shown.values()))
