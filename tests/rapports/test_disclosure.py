"""Secondary suppression (rapports.disclosure.suppress): with the totals printed, no hidden
count can be worked out by subtraction. Crafted tables first, then random ones checked by an
independent search for another table that prints the same."""

import csv
import io
import itertools
from types import SimpleNamespace

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from rapports import disclosure
from rapports.disclosure import PRIMARY, SECONDARY, Hidden, suppress, suppress_table


def hidden_positions(table):
    return {
        (i, j)
        for i, row in enumerate(table.cells)
        for j, v in enumerate(row)
        if isinstance(v, Hidden)
    }


def test_a_row_with_a_single_small_cell_hides_a_second_one():
    # 3 households in Lucé: with the row total 15 and 7 and 5 shown, 3 = 15 - 7 - 5.
    table = suppress_table([[7, 3, 5]], row_totals=[15])
    assert table.cells[0][1] == PRIMARY
    assert table.cells[0][2] == SECONDARY  # the smallest other cell (5), not the 7
    assert table.cells[0][0] == 7 and table.row_totals == [15]


def test_a_column_with_a_single_small_cell():
    table = suppress_table([[10], [2], [8]], column_totals=[20])
    assert table.cells[1][0] == PRIMARY
    assert table.cells[2][0] == SECONDARY and table.cells[0][0] == 10


def test_a_small_total_is_itself_hidden():
    table = suppress_table([[3]], row_totals=[3])
    assert table.cells[0][0] == PRIMARY and table.row_totals == [PRIMARY]


def test_two_small_cells_protect_each_other():
    table = suppress_table([[2, 3, 9]], row_totals=[14])
    assert table.cells[0] == [PRIMARY, PRIMARY, 9] and table.row_totals == [14]


def test_zero_is_shown_and_protects_nothing():
    # 0 + 4 + 6 = 10: the zero is public and cannot hide the 4, so the 6 goes.
    table = suppress_table([[0, 4, 6]], row_totals=[10])
    assert table.cells[0] == [0, PRIMARY, SECONDARY] and table.row_totals == [10]


def test_small_cells_beside_a_zero_in_one_sum():
    # The zero cannot protect the 4 (it is printed); the 5 goes. A sum whose only other
    # part is a zero has a small total, hidden by the primary rule.
    shown = suppress({"total": 9, "a": 4, "b": 0, "c": 5}, [("total", ["a", "b", "c"])])
    assert shown == {"total": 9, "a": PRIMARY, "b": 0, "c": SECONDARY}
    shown = suppress({"epci": 4, "a": 4, "b": 0}, [("epci", ["a", "b"])])
    assert shown == {"epci": PRIMARY, "a": PRIMARY, "b": 0}


def test_a_grid_with_row_column_and_grand_totals():
    cells = [[12, 3, 20], [15, 9, 6], [8, 11, 30]]
    table = suppress_table(
        cells,
        row_totals=[sum(r) for r in cells],
        column_totals=[sum(c) for c in zip(*cells, strict=True)],
        grand_total=sum(map(sum, cells)),
    )
    hidden = hidden_positions(table)
    assert (0, 1) in hidden
    # Its row and its column each hold another hidden cell (the classic rectangle).
    assert len([p for p in hidden if p[0] == 0]) >= 2
    assert len([p for p in hidden if p[1] == 1]) >= 2
    assert not _recoverable_by_search(cells, table)


def test_a_hierarchy_epci_and_communes():
    counts = {
        "total": 25,
        "epci A": 14,
        "A1": 10,
        "A2": 4,
        "epci B": 11,
        "B1": 11,
    }
    shown = suppress(
        counts, [("total", ["epci A", "epci B"]), ("epci A", ["A1", "A2"]), ("epci B", ["B1"])]
    )
    assert shown["A2"] == PRIMARY
    # A2 = epci A - A1: one of them goes; then epci A = total - epci B would give it back
    # if epci A were the one hidden, so the choice must hold across both levels.
    assert shown["A1"] == SECONDARY or (
        shown["epci A"] == SECONDARY
        and (shown["epci B"] == SECONDARY or shown["total"] == SECONDARY)
    )
    assert shown["B1"] == 11


def test_nothing_small_nothing_hidden():
    table = suppress_table([[5, 6], [7, 0]], row_totals=[11, 7], grand_total=18)
    assert not hidden_positions(table) and table.grand_total == 18


# --- random tables -------------------------------------------------------------------------------


def _recoverable_by_search(cells, table) -> bool:
    """True if some hidden cell has the same value in every table (integer perturbations of
    the hidden cells by -1, 0 or +1 that keep every printed total) -- an independent check of
    the elimination in rapports.disclosure."""
    rows, width = len(cells), len(cells[0])
    hidden = sorted(hidden_positions(table))
    hidden_rows = [i for i, v in enumerate(table.row_totals or []) if isinstance(v, Hidden)]
    hidden_cols = [j for j, v in enumerate(table.column_totals or []) if isinstance(v, Hidden)]
    grand_hidden = isinstance(table.grand_total, Hidden)
    free = len(hidden)
    movable = dict.fromkeys(hidden, False)
    for deltas in itertools.product((-1, 0, 1), repeat=free):
        if not any(deltas):
            continue
        delta = dict(zip(hidden, deltas, strict=True))
        ok = True
        if table.row_totals is not None:
            for i in range(rows):
                change = sum(delta.get((i, j), 0) for j in range(width))
                if change and i not in hidden_rows:
                    ok = False
        if ok and table.column_totals is not None:
            for j in range(width):
                change = sum(delta.get((i, j), 0) for i in range(rows))
                if change and j not in hidden_cols:
                    ok = False
        if ok and table.grand_total is not None and not grand_hidden and sum(delta.values()):
            ok = False
        if ok:
            for pos, d in delta.items():
                if d:
                    movable[pos] = True
    return not all(movable.values())


COUNT = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 30])


@settings(max_examples=150, deadline=None)
@given(
    cells=st.integers(1, 3).flatmap(
        lambda rows: st.integers(1, 3).flatmap(
            lambda width: st.lists(
                st.lists(COUNT, min_size=width, max_size=width), min_size=rows, max_size=rows
            )
        )
    ),
    with_rows=st.booleans(),
    with_columns=st.booleans(),
)
def test_random_tables_keep_their_secrets(cells, with_rows, with_columns):
    table = suppress_table(
        cells,
        row_totals=[sum(r) for r in cells] if with_rows else None,
        column_totals=[sum(c) for c in zip(*cells, strict=True)] if with_columns else None,
        grand_total=sum(map(sum, cells)),
    )
    # Every count from 1 to 4 is hidden; every shown figure is the true one.
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            shown = table.cells[i][j]
            if 0 < value < 5:
                assert shown == PRIMARY
            elif not isinstance(shown, Hidden):
                assert shown == value
    assert not _recoverable_by_search(cells, table)


# --- the funder-facing tables ------------------------------------------------------------------


@pytest.mark.django_db
def test_gisement_report_hides_the_epci_total_that_gives_back_its_small_commune(
    client, funder_user, scenario
):
    """9 households: Chartres Métropole 8 (Chartres 6, Lucé 2), Pays de Dreux 1 (Dreux 1).
    The 1 of Pays de Dreux would be 9 - 8: the 8 is hidden; Lucé stays protected."""
    client.force_login(funder_user)
    pk = scenario["gisement"].pk
    body = b"".join(client.get(reverse("rapports:gisement_csv", args=[pk])).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode().lstrip("\ufeff")), delimiter=";"))
    by_label = {(row[0], row[1]): row[3] for row in rows[1:]}
    assert by_label[("foyers équipés", "total")] == "9"
    assert by_label[("foyers équipés par commune", "Chartres")] == "6"
    assert by_label[("foyers équipés par commune", "Lucé")] == "< 5"
    epcis = {
        label: value for (section, label), value in by_label.items() if section.endswith("EPCI")
    }
    assert sorted(epcis.values()) == ["< 5", "masqué"]
    assert any(row[0] == "secret statistique" for row in rows)
    page = client.get(reverse("rapports:gisement", args=[pk])).content.decode()
    assert "masqué" in page and "retrouvé par" in page


def _loan_report(by_state, prescribers, decided, accepted, ended):
    return SimpleNamespace(
        requests=SimpleNamespace(
            by_state=by_state,
            total=sum(by_state.values()),
            by_prescriber=prescribers,
            decided=decided,
            accepted=accepted,
        ),
        loans=SimpleNamespace(ended=ended, ended_total=sum(ended.values())),
    )


STATES = [(s, s) for s in ("submitted", "approved", "rejected", "fulfilled", "cancelled")]


def test_loan_report_a_single_small_state_and_the_rates():
    report = _loan_report(
        {"submitted": 9, "approved": 3, "rejected": 8, "fulfilled": 12, "cancelled": 0},
        [
            {"name": "CCAS", "total": 20, "accepted": 10, "fulfilled": 7},
            {"name": "FS", "total": 12, "accepted": 5, "fulfilled": 5},
        ],
        decided=23,
        accepted=15,
        ended={"returned": 9, "transferred": 2, "lost": 6},
    )
    shown = disclosure.loan_report(report, STATES)
    states = dict(shown.by_state)
    assert states["approved"] == PRIMARY
    assert sum(isinstance(v, Hidden) for v in states.values()) >= 2  # 32 - the rest ≠ approved
    assert shown.requests_total == 32
    assert shown.approval_rate == round(100 * 15 / 23, 1)
    # 17 ended = 9 returned + 2 kept + 6 lost: the 2 is hidden, and so is another term; the
    # return rate (9 of 17) would give the returned back, so it goes when the 9 does.
    assert shown.ended["transferred"] == PRIMARY
    hidden_terms = [k for k, v in shown.ended.items() if isinstance(v, Hidden)]
    assert len(hidden_terms) >= 2 or isinstance(shown.ended_total, Hidden)
    if isinstance(shown.ended["returned"], Hidden) or isinstance(shown.ended_total, Hidden):
        assert shown.return_rate is None
    assert shown.secondary


def test_roadmap_handovers():
    shown = disclosure.handovers(SimpleNamespace(loans=10, sales=3, gifts=0, total=13))
    assert (shown.total, shown.loans, shown.sales, shown.gifts) == (13, SECONDARY, PRIMARY, 0)
    shown = disclosure.handovers(SimpleNamespace(loans=10, sales=6, gifts=7, total=23))
    assert (shown.total, shown.loans, shown.sales, shown.gifts) == (23, 10, 6, 7)
    assert not shown.secondary
