"""Keyset pagination over orderings chosen from a list, for lists that must stay flat at a
million rows.

A list offers a few ``Ordering``s (``?tri=<key>``), each a tuple of columns ending with a
unique one (usually ``id``), all in the same direction, each backed by an index whose
columns come in that order: a page then is one index range read from the row at its edge,
``WHERE (a, b, id) < (x, y, z) ORDER BY a DESC, b DESC, id DESC LIMIT n``, as cheap on page
10,000 as on page 1. The row at the edge is given by its id (``?apres=<id>``, ``?avant=<id>``)
and its sort values are read back by primary key, so addresses stay short.

Offsets (``?page=``) are for lists that stay small (a household list, a week's sessions).
"""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Expression, F, QuerySet, Value

# Counting a million rows is not flat; past this many a list says "more than".
COUNT_CAP = 1000


@dataclass(frozen=True)
class Ordering:
    """One way a list can be sorted. ``columns`` end with a unique column."""

    key: str  # what ``?tri=`` carries
    label: str
    columns: tuple[str, ...]
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> list[str]:
        descending = self.descending != reverse
        return [f"-{column}" if descending else column for column in self.columns]


@dataclass(frozen=True)
class Orderings:
    """The orderings a list offers, the first one its default."""

    choices: tuple[Ordering, ...]
    by_key: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_key", {o.key: o for o in self.choices})

    @property
    def default(self) -> Ordering:
        return self.choices[0]

    def get(self, key: str | None) -> Ordering:
        """The ordering ``key`` names, or the default one for anything else."""
        return self.by_key.get(key or "", self.default)

    def form_choices(self) -> list[tuple[str, str]]:
        return [(o.key, o.label) for o in self.choices]


class RowComparison(Expression):
    """``(a, b, c) < (x, y, z)`` (or ``>``): a row value comparison, which PostgreSQL and
    SQLite answer by a range of an index on ``(a, b, c)``, where the equivalent
    ``a < x OR (a = x AND …)`` would be filtered row by row."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns, operator: str, values):
        if operator not in ("<", ">"):
            raise ValueError(operator)
        super().__init__()
        self.columns = [F(column) if isinstance(column, str) else column for column in columns]
        self.operator = operator
        self.values = list(values)

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, expressions):
        self.columns = list(expressions)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, **kw):
        resolved = self.copy()
        resolved.columns = [
            column.resolve_expression(query, allow_joins, reuse, summarize)
            for column in self.columns
        ]
        return resolved

    def as_sql(self, compiler, connection):
        left, right, params = [], [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            left.append(sql)
            params += column_params
        for column, value in zip(self.columns, self.values, strict=True):
            sql, value_params = compiler.compile(Value(value, output_field=column.output_field))
            right.append(sql)
            params += value_params
        return f"({', '.join(left)}) {self.operator} ({', '.join(right)})", params


@dataclass
class KeysetPage:
    """One page of a list, addressed by the ids of the rows at its edges."""

    rows: list
    has_next: bool
    has_previous: bool
    count: int
    count_is_capped: bool
    ordering: Ordering | None = None

    @property
    def next_after(self):
        return self.rows[-1].pk if self.rows and self.has_next else None

    @property
    def previous_before(self):
        return self.rows[0].pk if self.rows and self.has_previous else None


def _edge(queryset: QuerySet, ordering: Ordering, pk: int) -> tuple | None:
    """The sort values of the row ``pk`` (by primary key: the row may since have left the
    list's filter, the next page still starts where it stood)."""
    if ordering.columns in (("id",), ("pk",)):
        return (pk,)  # no need to ask
    return queryset.model._default_manager.filter(pk=pk).values_list(*ordering.columns).first()


def keyset_page(
    queryset: QuerySet,
    *,
    size: int,
    ordering: Ordering | None = None,
    after: int | None = None,
    before: int | None = None,
    count_cap: int = COUNT_CAP,
) -> KeysetPage:
    """The page of ``queryset`` in ``ordering`` (newest first by default) after the row
    ``after`` or before the row ``before``; a row that no longer exists starts over. Rows
    are counted up to ``count_cap`` ("more than" beyond)."""
    ordering = ordering or Ordering("recents", "", ("id",), descending=True)
    following = "<" if ordering.descending else ">"
    preceding = ">" if ordering.descending else "<"
    edge_after = _edge(queryset, ordering, after) if after is not None else None
    edge_before = _edge(queryset, ordering, before) if before is not None else None
    if edge_before is not None:
        page = queryset.filter(RowComparison(ordering.columns, preceding, edge_before))
        rows = list(page.order_by(*ordering.order_by(reverse=True))[: size + 1])
        has_previous = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
        first_page = False
    else:
        page = queryset
        if edge_after is not None:
            page = page.filter(RowComparison(ordering.columns, following, edge_after))
        rows = list(page.order_by(*ordering.order_by())[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = edge_after is not None
        first_page = edge_after is None
    if first_page and not has_next:
        # The whole result fits on this first page (a search, a narrow filter): counted.
        count = len(rows)
    else:
        count = queryset.order_by()[: count_cap + 1].count()
    return KeysetPage(
        rows=rows,
        has_next=has_next,
        has_previous=has_previous,
        count=min(count, count_cap),
        count_is_capped=count > count_cap,
        ordering=ordering,
    )
