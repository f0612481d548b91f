"""The pool dashboard: every figure against a pool built by hand with back-dated events.

Devices of the test refurbisher (R), days are counted back from now:

    A laptop      register -40, start_triage -30, (move -29), wipe -28, start_refurbishment -27,
                  mark_ready -20 (grade B)                               -> ready since -20
    B laptop      register -100, start_triage -96, wipe -90               -> wiped since -90
    C tablet      register -12, start_triage -10                          -> triage since -10
    D laptop      register -500, start_triage -400, wipe -300, start_refurbishment -299,
                  mark_ready -290 (A), allocate -289, lend -288           -> on loan since -288
    F smartphone  register -45                                            -> registered since -45
    G laptop      no event (imported), ready grade A                      -> ready since -60
    H desktop     register -30, recycle -5                                -> recycled since -5
    K laptop      sell -3 (its earlier history is not in the log)         -> transferred since -3

Stages that ended in the last 365 days (days):
    registered  A 10, B 4, C 2, H 25      -> sorted 2 4 10 25: median (rank 2) 4, p90 (rank 4) 25
    triage      A 2, B 6, D 100           -> median 6, p90 100
    wiped       A 1, D 1                  -> median 1, p90 1
    refurbishing A 7, D 9                 -> median (rank 1) 7, p90 (rank 2) 9
    ready, allocated: D 1                 -> 1, 1
D's registered stage ended 400 days ago: outside the window. A's move is not a stage.
Stuck for more than 30 days: B (wiped, 90), F (registered, 45), G (ready, 60); not D (on loan).

Another refurbisher (O) has device E: register -50, start_triage -20 (registered 30 days).
"""

import datetime as dt
import html

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from parc.models import DeviceEvent
from rapports import dashboard_selectors
from rapports.dashboard_selectors import week_start
from rapports.models import Funding
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory

URL = reverse("rapports:pool_dashboard")
DAY = 86400


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _device(owner, kind, state, since_days, now, grade=""):
    return DeviceFactory(
        owner=owner,
        kind=kind,
        state=state,
        grade=grade,
        state_changed_at=now - dt.timedelta(days=since_days),
    )


def _history(device, steps, now):
    """steps: (days ago, action, source, target)."""
    for days_ago, action, source, target in steps:
        DeviceEvent.objects.create(
            device=device,
            action=action,
            source_state=source,
            target_state=target,
            at=now - dt.timedelta(days=days_ago),
        )


@pytest.fixture
def pool(refurbisher, other_refurbisher):
    now = timezone.now()
    a = _device(refurbisher, "laptop", "ready", 20, now, grade="B")
    _history(
        a,
        [
            (40, "register", "", "registered"),
            (30, "start_triage", "registered", "triage"),
            (29, "move", "triage", "triage"),
            (28, "wipe", "triage", "wiped"),
            (27, "start_refurbishment", "wiped", "refurbishing"),
            (20, "mark_ready", "refurbishing", "ready"),
        ],
        now,
    )
    b = _device(refurbisher, "laptop", "wiped", 90, now)
    _history(
        b,
        [
            (100, "register", "", "registered"),
            (96, "start_triage", "registered", "triage"),
            (90, "wipe", "triage", "wiped"),
        ],
        now,
    )
    c = _device(refurbisher, "tablet", "triage", 10, now)
    _history(
        c, [(12, "register", "", "registered"), (10, "start_triage", "registered", "triage")], now
    )
    d = _device(refurbisher, "laptop", "on_loan", 288, now, grade="A")
    _history(
        d,
        [
            (500, "register", "", "registered"),
            (400, "start_triage", "registered", "triage"),
            (300, "wipe", "triage", "wiped"),
            (299, "start_refurbishment", "wiped", "refurbishing"),
            (290, "mark_ready", "refurbishing", "ready"),
            (289, "allocate", "ready", "allocated"),
            (288, "lend", "allocated", "on_loan"),
        ],
        now,
    )
    f = _device(refurbisher, "smartphone", "registered", 45, now)
    _history(f, [(45, "register", "", "registered")], now)
    g = _device(refurbisher, "laptop", "ready", 60, now, grade="A")
    h = _device(refurbisher, "desktop", "recycled", 5, now)
    _history(h, [(30, "register", "", "registered"), (5, "recycle", "registered", "recycled")], now)
    k = _device(refurbisher, "laptop", "transferred", 3, now)
    _history(k, [(3, "sell", "allocated", "transferred")], now)
    e = _device(other_refurbisher, "laptop", "triage", 20, now)
    _history(
        e, [(50, "register", "", "registered"), (20, "start_triage", "registered", "triage")], now
    )
    return {"now": now, "a": a, "b": b, "c": c, "d": d, "f": f, "g": g, "h": h, "k": k, "e": e}


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _days(entry):
    return round(entry["median_s"] / DAY, 3), round(entry["p90_s"] / DAY, 3)


def test_stage_durations_median_and_p90_from_the_events(pool, refurbisher):
    durations = dashboard_selectors.stage_durations((refurbisher.pk,), pool["now"])
    assert {stage: entry["count"] for stage, entry in durations.items()} == {
        "registered": 4,
        "triage": 3,
        "wiped": 2,
        "refurbishing": 2,
        "ready": 1,
        "allocated": 1,
    }
    assert _days(durations["registered"]) == (4, 25)
    assert _days(durations["triage"]) == (6, 100)
    assert _days(durations["wiped"]) == (1, 1)
    assert _days(durations["refurbishing"]) == (7, 9)
    assert _days(durations["ready"]) == (1, 1)
    assert _days(durations["allocated"]) == (1, 1)


def test_stage_durations_of_every_organisation_include_the_other_pool(pool):
    durations = dashboard_selectors.stage_durations(None, pool["now"])
    # E's registered stage (30 days) joins: 2 4 10 25 30 -> median (rank 3) 10, p90 (rank 5) 30
    assert durations["registered"]["count"] == 5
    assert _days(durations["registered"]) == (10, 30)


def test_stage_durations_window_leaves_out_older_stages(pool, refurbisher):
    durations = dashboard_selectors.stage_durations((refurbisher.pk,), pool["now"], window_days=50)
    # Only A, C, H (and nothing of B, ended 96 and 90 days ago, nor of D).
    assert durations["registered"]["count"] == 3  # A 10, C 2, H 25
    assert durations["triage"]["count"] == 1  # A 2
    assert "ready" not in durations


def test_weekly_flows_count_each_action_in_its_week(pool, refurbisher):
    now = pool["now"]
    today = timezone.localdate(now)
    flows = dashboard_selectors.weekly_flows((refurbisher.pk,), today)

    def week_of(days_ago):
        return week_start(timezone.localdate(now - dt.timedelta(days=days_ago))).isoformat()

    expected_received = {}
    for days_ago in (40, 12, 45, 30):  # A, C, F, H (B -100 and D -500 are too old)
        expected_received[week_of(days_ago)] = expected_received.get(week_of(days_ago), 0) + 1
    assert {k: v for k, v in flows["received"].items() if v} == expected_received
    assert {k: v for k, v in flows["erased"].items() if v} == {week_of(28): 1}
    assert {k: v for k, v in flows["ready"].items() if v} == {week_of(20): 1}
    assert {k: v for k, v in flows["handed_over"].items() if v} == {week_of(3): 1}
    assert {k: v for k, v in flows["recycled"].items() if v} == {week_of(5): 1}
    assert len(flows["received"]) == 12
    assert list(flows["received"])[-1] == week_start(today).isoformat()


def test_stock_by_state_kind_and_grade(pool, refurbisher):
    table = dashboard_selectors.stock_table(dashboard_selectors.stock_counts((refurbisher.pk,)))
    kinds = [value for value, _label in table["kinds"]]
    assert kinds == ["laptop", "desktop", "tablet", "smartphone"]
    rows = {(row["state"], row["grade"]): row["cells"] for row in table["active"]}
    assert rows[("ready", "")] == [2, 0, 0, 0]
    assert rows[("ready", "A")] == [1, 0, 0, 0]
    assert rows[("ready", "B")] == [1, 0, 0, 0]
    assert rows[("on_loan", "")] == [1, 0, 0, 0]
    assert rows[("on_loan", "A")] == [1, 0, 0, 0]
    assert rows[("triage", "")] == [0, 0, 1, 0]
    assert rows[("registered", "")] == [0, 0, 0, 1]
    assert table["active_totals"] == {"cells": [4, 0, 1, 1], "total": 6}
    assert table["gone_totals"] == {"cells": [1, 1, 0, 0], "total": 2}


def test_stuck_devices_longest_first(pool, refurbisher):
    stuck = list(dashboard_selectors.stuck_devices((refurbisher.pk,), pool["now"]))
    assert stuck == [pool["b"], pool["g"], pool["f"]]
    counts = dashboard_selectors.stuck_counts((refurbisher.pk,), pool["now"])
    assert counts["wiped"] == 1 and counts["ready"] == 1 and counts["registered"] == 1
    assert sum(counts.values()) == 3
    only_ready = dashboard_selectors.stuck_devices((refurbisher.pk,), pool["now"], state="ready")
    assert list(only_ready) == [pool["g"]]


def test_page_shows_the_figures_and_links_the_stuck_devices(client, staff, pool):
    client.force_login(staff)
    response = client.get(URL)
    assert response.status_code == 200
    html = _text(response)
    assert "Tableau de bord du parc" in html
    for device in (pool["b"], pool["f"], pool["g"]):
        assert reverse("parc:device", args=[device.public_code]) in html
    assert pool["a"].public_code not in html  # ready for 20 days only
    assert pool["e"].public_code not in html  # another organisation's
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert "25,0 j" in html  # the registered stage's 90th percentile
    assert response["Cache-Control"] == "private, no-store"
    assert "Tableaux de bord" in html  # the navigation link


def test_summary_is_served_from_the_cache_until_it_is_stale(client, staff, pool, refurbisher):
    client.force_login(staff)
    client.get(URL)
    later = dashboard_selectors.pool_summary((refurbisher.pk,))
    DeviceFactory(owner=refurbisher, state="registered")
    assert dashboard_selectors.pool_summary((refurbisher.pk,)).computed_at == later.computed_at
    later.computed_at -= dashboard_selectors.SUMMARY_FRESH_FOR
    cache.set(dashboard_selectors.summary_key((refurbisher.pk,)), later)
    stale = dashboard_selectors.pool_summary((refurbisher.pk,))  # served, refresh asked
    assert stale.computed_at == later.computed_at
    # Celery runs eagerly in tests: the refresh has already replaced the summary.
    fresh = dashboard_selectors.pool_summary((refurbisher.pk,))
    assert fresh.computed_at > later.computed_at
    assert sum(row["n"] for row in fresh.stock) == sum(row["n"] for row in later.stock) + 1


# --- scoping -----------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "connexion" in response["Location"]


def test_staff_of_another_organisation_sees_none_of_the_figures(client, other_refurbisher, pool):
    other = UserFactory(username="equipe-ailleurs")
    MembershipFactory(user=other, organisation=other_refurbisher, role="staff")
    client.force_login(other)
    html = _text(client.get(URL))
    for key in ("a", "b", "f", "g"):
        assert pool[key].public_code not in html
    summary = dashboard_selectors.pool_summary((other_refurbisher.pk,))
    assert sum(row["n"] for row in summary.stock) == 1


def test_technician_and_prescriber_have_no_dashboard(client, technician, prescriber, pool):
    for user in (technician, prescriber):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 403
        assert "Aucune structure" in _text(response)


def test_funder_sees_only_the_organisation_it_funds(client, refurbisher, other_refurbisher, pool):
    funder = OrganisationFactory(name="Fondation test", short_name="FT", is_funder=True)
    Funding.objects.create(funder=funder, name="Soutien", refurbisher=other_refurbisher)
    user = UserFactory(username="financeur")
    MembershipFactory(user=user, organisation=funder, role="funder")
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert pool["e"].public_code not in _text(response)  # stuck for 20 days only
    assert response.context["summary"].owner_ids == (other_refurbisher.pk,)
    # Asking for the refurbisher it does not fund: a message, and its own figures.
    response = client.get(URL, {"structure": refurbisher.pk})
    assert response.status_code == 200
    assert "n'est pas dans votre périmètre" in _text(response)
    assert response.context["summary"].owner_ids == (other_refurbisher.pk,)


def test_coordinator_filters_by_organisation(client, refurbisher, other_refurbisher, pool):
    coordination = OrganisationFactory(name="Département", short_name="DEP", is_coordinator=True)
    user = UserFactory(username="coordination")
    MembershipFactory(user=user, organisation=coordination, role="admin")
    client.force_login(user)
    response = client.get(URL)
    assert response.context["summary"].owner_ids is None
    assert 'name="structure"' in _text(response)
    response = client.get(URL, {"structure": other_refurbisher.pk})
    assert response.context["summary"].owner_ids == (other_refurbisher.pk,)
    assert pool["b"].public_code not in _text(response)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        ({"page": "abc"}, "nombre entier"),
        ({"page": "0"}, "commence à 1"),
        ({"page": "99999"}, "choisissez une étape"),
        ({"etape": "volé"}, "Cette étape n'existe pas"),
        ({"structure": "x'; DROP TABLE"}, "n'est pas dans votre périmètre"),
        ({"structure": "\x00"}, "Structure"),
    ],
)
def test_garbage_in_the_query_string_gets_a_french_message(client, staff, pool, query, message):
    client.force_login(staff)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert message in _text(response)


def test_stuck_list_is_paginated(client, staff, refurbisher):
    now = timezone.now()
    for days in range(31, 31 + 27):
        _device(refurbisher, "laptop", "triage", days, now)
    client.force_login(staff)
    first = client.get(URL)
    assert len(first.context["stuck"]) == 25 and first.context["stuck_has_next"]
    second = client.get(URL, {"page": 2})
    assert len(second.context["stuck"]) == 2 and not second.context["stuck_has_next"]
    # Longest first: page 1 holds 57 down to 33 days, page 2 the last two.
    assert [(now - d.state_changed_at).days for d in first.context["stuck"]][:2] == [57, 56]
    assert [(now - d.state_changed_at).days for d in second.context["stuck"]] == [32, 31]


# --- query budget ------------------------------------------------------------------------------


def _many(refurbisher, count, now):
    for index in range(count):
        device = _device(refurbisher, "laptop", "wiped", 40 + index, now)
        _history(
            device,
            [
                (60 + index, "register", "", "registered"),
                (50 + index, "start_triage", "registered", "triage"),
                (40 + index, "wipe", "triage", "wiped"),
            ],
            now,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_query_budget_does_not_grow_with_the_pool(
    client, staff, refurbisher, count, django_assert_max_num_queries
):
    _many(refurbisher, count, timezone.now())
    client.force_login(staff)
    # Cold: the summary is computed (stock, flows, durations, stuck counts) then cached.
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200
    # Warm: only the session, the scope, the organisations and the stuck page.
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200
