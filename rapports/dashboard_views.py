"""Dashboards: the pool, the loan scheme, the roadmap indicators. Thin views: read the
filters, work out the organisations in the user's report scope, read the figures through
dashboard_selectors, render. A bad filter is a French message on the page, never an error
page; a user with nothing in scope gets a page saying so (403)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from acteurs import selectors as acteurs_selectors
from acteurs.permissions import coordinated_departements, is_coordinator
from parc.models import WAITING_STATES, State
from prets.models import RequestState
from prets.selectors import needs_figures

from . import charts, disclosure
from .access import economics_refurbishers, needs_organisations, report_scope
from .dashboard_forms import LoanReportForm, PoolFilterForm, RoadmapForm
from .dashboard_selectors import (
    DURATION_WINDOW_DAYS,
    FLOW_WEEKS,
    FLOWS,
    STAGES,
    STUCK_AFTER_DAYS,
    flow_weeks,
    loan_report,
    pool_summary,
    refurbishers_in_scope,
    roadmap_report,
    stock_table,
    stuck_devices,
)
from .economics import economics

STUCK_PAGE_SIZE = 25


def _nothing_in_scope(request, title: str):
    return render(
        request, "rapports/dashboards/nothing_in_scope.html", {"title": title}, status=403
    )


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def index(request):
    scope = report_scope(request.user)
    if scope.is_empty:
        return _nothing_in_scope(request, _("Tableaux de bord"))
    return _private(
        render(
            request,
            "rapports/dashboards/index.html",
            {"sees_economics": economics_refurbishers(request.user).exists()},
        )
    )


# --- the pool ----------------------------------------------------------------------------------


def _flow_rows(summary, weeks) -> tuple[list[dict], list[str]]:
    """One row per week (the table beside the charts), and one chart per flow."""
    keys = [monday.isoformat() for monday in weeks]
    rows = [
        {
            "monday": monday,
            "counts": [summary.flows.get(flow.key, {}).get(key, 0) for flow in FLOWS],
        }
        for monday, key in zip(weeks, keys, strict=True)
    ]
    drawn = []
    for index, flow in enumerate(FLOWS):
        values = [row["counts"][index] for row in rows]
        drawn.append(
            {
                "label": flow.label,
                "total": sum(values),
                "svg": charts.column_chart(
                    f"flux-{flow.key}",
                    _("%(flow)s par semaine") % {"flow": flow.label},
                    _("%(flow)s : %(total)s sur %(weeks)s semaines, de %(first)s à %(last)s.")
                    % {
                        "flow": flow.label,
                        "total": sum(values),
                        "weeks": len(weeks),
                        "first": weeks[0].strftime("%d/%m"),
                        "last": weeks[-1].strftime("%d/%m"),
                    },
                    [
                        (monday.strftime("%d/%m"), value)
                        for monday, value in zip(weeks, values, strict=True)
                    ],
                ),
            }
        )
    return rows, drawn


def _duration_rows(summary) -> list[dict]:
    rows = []
    for stage in STAGES:
        entry = summary.durations.get(stage)
        rows.append(
            {
                "label": State(stage).label,
                "count": entry["count"] if entry else 0,
                "median": entry["median_s"] / 86400 if entry else None,
                "p90": entry["p90_s"] / 86400 if entry else None,
            }
        )
    return rows


@login_required
def pool(request):
    scope = report_scope(request.user)
    organisations = list(refurbishers_in_scope(scope))
    if not organisations:
        return _nothing_in_scope(request, _("Tableau de bord du parc"))
    form = PoolFilterForm(request.GET, organisations=organisations)
    form.is_valid()
    owner_ids = form.owner_ids(everything=scope.everything)
    summary = pool_summary(owner_ids)
    now = timezone.now()
    weeks = flow_weeks(timezone.localdate(now))
    flow_rows, flow_charts = _flow_rows(summary, weeks)
    durations = _duration_rows(summary)
    stage = form.cleaned_data.get("etape") or ""
    page_number = form.cleaned_data.get("page") or 1
    offset = (page_number - 1) * STUCK_PAGE_SIZE
    stuck = list(stuck_devices(owner_ids, now, state=stage)[offset : offset + STUCK_PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    stuck_by_state = [
        {"state": state, "label": State(state).label, "count": summary.stuck.get(state, 0)}
        for state in WAITING_STATES
    ]
    context = {
        "form": form,
        "summary": summary,
        "stock": stock_table(summary.stock),
        "flow_weeks": FLOW_WEEKS,
        "flow_labels": [flow.label for flow in FLOWS],
        "flow_rows": flow_rows,
        "flow_charts": flow_charts,
        "durations": durations,
        "durations_chart": charts.paired_bar_chart(
            "durees",
            _("Temps passé dans chaque étape, en jours"),
            _(
                "Médiane et 90e centile du temps passé dans chaque étape, pour les étapes "
                "terminées au cours des %(days)s derniers jours."
            )
            % {"days": DURATION_WINDOW_DAYS},
            [(row["label"], row["median"], row["p90"]) for row in durations],
            first_label=_("médiane"),
            second_label=_("90e centile"),
            unit=_("j"),
        ),
        "duration_window_days": DURATION_WINDOW_DAYS,
        "stuck_after_days": STUCK_AFTER_DAYS,
        "stuck_by_state": stuck_by_state,
        "stuck_total": sum(row["count"] for row in stuck_by_state),
        "stuck": stuck[:STUCK_PAGE_SIZE],
        "stuck_page": page_number,
        "stuck_has_next": len(stuck) > STUCK_PAGE_SIZE,
        "stuck_query": query.urlencode(),
        "now": now,
    }
    return _private(render(request, "rapports/dashboards/pool.html", context))


# --- the loan scheme -----------------------------------------------------------------------------


@login_required
def loans(request):
    scope = report_scope(request.user)
    organisations = list(refurbishers_in_scope(scope))
    if not organisations:
        return _nothing_in_scope(request, _("Rapport du dispositif de prêt"))
    form = LoanReportForm(request.GET, organisations=organisations)
    start, end = form.period()
    owner_ids = form.owner_ids(everything=scope.everything)
    report = loan_report(owner_ids, start, end, timezone.localdate())
    states = [
        (value, label) for value, label in RequestState.choices if value != RequestState.DRAFT
    ]
    # Funders read this page: small counts hidden, and whatever would give them back.
    shown = disclosure.loan_report(report, states)
    # Usage needs: never a funder's figures, only the team's or the coordination's.
    needs_ids = needs_organisations(request.user, owner_ids)
    needs = None
    if needs_ids is None or needs_ids:
        needs = needs_figures(refurbisher_ids=needs_ids, start=start, end=end)
    context = {
        "needs": needs,
        "form": form,
        "start": start,
        "end": end,
        "report": report,
        "shown": shown,
        "secondary_legend": disclosure.SECONDARY_LEGEND,
        "requests_chart": charts.bar_chart(
            _("Demandes envoyées sur la période, par état"),
            [
                (str(label), count)
                for label, count in shown.by_state
                if not isinstance(count, disclosure.Hidden) and count >= disclosure.SMALL_COUNT
            ],
        ),
    }
    return _private(render(request, "rapports/dashboards/loans.html", context))


# --- the economics of the chain (issue 15) -------------------------------------------------------


@login_required
@require_GET
def economics_dashboard(request):
    organisations = list(economics_refurbishers(request.user))
    if not organisations:
        return _nothing_in_scope(request, _("Modèle économique"))
    form = LoanReportForm(request.GET, organisations=organisations)
    start, end = form.period()
    national = is_coordinator(request.user) and coordinated_departements(request.user) is None
    owner_ids = form.owner_ids(everything=national)
    context = {"form": form, "start": start, "end": end, "report": economics(owner_ids, start, end)}
    return _private(render(request, "rapports/dashboards/economics.html", context))


# --- the roadmap indicators --------------------------------------------------------------------


@login_required
def roadmap(request):
    scope = report_scope(request.user)
    if scope.is_empty:
        return _nothing_in_scope(request, _("Indicateurs de la feuille de route"))
    form = RoadmapForm(request.GET)
    start, end = form.period()
    territory = form.territory()
    include_imported = bool(form.cleaned_data.get("importees"))
    report = roadmap_report(scope, territory, start, end, include_imported=include_imported)
    quarters = report.gisements.conventions_by_quarter
    context = {
        "form": form,
        "start": start,
        "end": end,
        "territory": territory,
        "report": report,
        "handovers": disclosure.handovers(report.handovers),
        "secondary_legend": disclosure.SECONDARY_LEGEND,
        "conventions_chart": charts.column_chart(
            "conventions",
            _("Conventions signées par trimestre"),
            _("%(total)s conventions signées du %(start)s au %(end)s.")
            % {
                "total": report.gisements.conventions_signed,
                "start": start.strftime("%d/%m/%Y"),
                "end": end.strftime("%d/%m/%Y"),
            },
            [(row["label"], row["count"]) for row in quarters],
        ),
    }
    return _private(render(request, "rapports/dashboards/roadmap.html", context))


# --- territories by name, for the roadmap's filters ------------------------------------------

TERRITORY_SEARCHES = {
    "commune": acteurs_selectors.communes_matching,
    "epci": acteurs_selectors.epcis_matching,
}
TERRITORY_SEARCH_LONGEST = 100


@login_required
@require_GET
def territory_search(request, level):
    """The territories whose name starts with (communes) or holds (EPCI) what was typed, ten
    at most, as the options of the filter's list (an HTML fragment): never the whole table.
    Territories are public data; a login is still asked, as for every page of the app."""
    search = TERRITORY_SEARCHES.get(level)
    if search is None:
        raise Http404
    # No place name holds a NUL, and PostgreSQL refuses one in a query parameter.
    text = request.GET.get("q", "").replace("\x00", "")[:TERRITORY_SEARCH_LONGEST]
    departement = request.GET.get("departement", "").strip().upper()
    if not (departement.isalnum() and len(departement) <= 3):
        departement = ""
    matches = search(text, departement=departement) if len(text.strip()) >= 2 else []
    return _private(
        render(
            request,
            "rapports/dashboards/_territory_options.html",
            {"level": level, "matches": matches, "searched": len(text.strip()) >= 2},
        )
    )
