"""Reports as JSON: the gisement report's figures, the pool dashboard, the roadmap indicators
and the open data, each computed by the same ``rapports`` selectors as the pages, for the
same scope (``rapports.access.report_scope``), with the pages' own filter forms."""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import Model, Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.errors import InvalidInput, NotFound, NotPermitted
from rapports import selectors
from rapports.access import report_scope
from rapports.dashboard_forms import PoolFilterForm, RoadmapForm
from rapports.dashboard_selectors import pool_summary, refurbishers_in_scope, roadmap_report
from rapports.forms import PeriodForm
from rapports.models import ReportSubjectKind

from .base import ApiView, int_or_404


def plain(value):
    """A report's dataclasses, dicts and lists as JSON values (decimals as strings, dates in
    ISO 8601, French labels as text); query conditions and internal fields (such as whose
    names the reader may see) are left out."""
    if isinstance(value, Q):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Q) and not f.metadata.get("internal")
        }
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Model):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _form_errors(form) -> InvalidInput:
    messages = [str(m) for errors in form.errors.values() for m in errors]
    return InvalidInput(" ".join(messages), code="invalid_filter")


class GisementReportView(ApiView):
    @extend_schema(
        operation_id="reports_gisement_retrieve",
        parameters=[
            OpenApiParameter("du", OpenApiTypes.DATE, description="début (AAAA-MM-JJ)"),
            OpenApiParameter("au", OpenApiTypes.DATE, description="fin (AAAA-MM-JJ)"),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Chiffres du rapport de gisement (kind : gisement, don, donateur)",
    )
    def get(self, request, kind, pk):
        if kind not in ReportSubjectKind.values:
            raise NotFound(_("Type de rapport inconnu."), code="not_found")
        subject = selectors.subject_for(request.user, kind, int_or_404(pk))
        form = PeriodForm(request.query_params or None)
        if request.query_params and not form.is_valid():
            raise _form_errors(form)
        report = selectors.gisement_report(subject, form.period)
        data = plain(report)
        data["households"] = plain(report.households_shown)
        data["trained_households"] = plain(report.trained_shown)
        return Response(data)


class PoolDashboardView(ApiView):
    @extend_schema(
        operation_id="reports_pool_retrieve",
        parameters=[OpenApiParameter("structure", OpenApiTypes.INT)],
        responses=OpenApiTypes.OBJECT,
        summary="Tableau de bord du parc (stock, flux, durées, appareils bloqués)",
    )
    def get(self, request):
        scope = report_scope(request.user)
        organisations = list(refurbishers_in_scope(scope))
        if not organisations:
            raise NotPermitted(_("Aucun parc n'est dans votre périmètre."), code="nothing_in_scope")
        form = PoolFilterForm(request.query_params, organisations=organisations)
        if not form.is_valid():
            raise _form_errors(form)
        return Response(plain(pool_summary(form.owner_ids(everything=scope.everything))))


class RoadmapView(ApiView):
    @extend_schema(
        operation_id="reports_roadmap_retrieve",
        parameters=[
            OpenApiParameter("debut", OpenApiTypes.DATE),
            OpenApiParameter("fin", OpenApiTypes.DATE),
            OpenApiParameter("departement", OpenApiTypes.STR),
            OpenApiParameter("epci", OpenApiTypes.STR),
            OpenApiParameter("commune", OpenApiTypes.STR),
            OpenApiParameter("importees", OpenApiTypes.BOOL),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Indicateurs de la feuille de route",
    )
    def get(self, request):
        scope = report_scope(request.user)
        if scope.is_empty:
            raise NotPermitted(
                _("Aucun indicateur n'est dans votre périmètre."), code="nothing_in_scope"
            )
        form = RoadmapForm(request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        start, end = form.period()
        territory = form.territory()
        report = roadmap_report(
            scope,
            territory,
            start,
            end,
            include_imported=bool(form.cleaned_data.get("importees")),
        )
        data = plain(report)
        data.update(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "territory": {"level": territory.level, "code": territory.code},
                "repairs_total": report.repairs_total,
            }
        )
        return Response(data)


class OpenDataView(ApiView):
    @extend_schema(
        operation_id="reports_open_data_retrieve",
        responses=OpenApiTypes.OBJECT,
        summary="Données ouvertes (Licence Ouverte 2.0), sans donnée personnelle",
    )
    def get(self, request):
        scope = report_scope(request.user)
        if scope.is_empty:
            raise NotFound(_("Introuvable."))
        return Response(
            {
                "licence": "Licence Ouverte / Open Licence 2.0",
                "seuil_secret_statistique": selectors.SMALL_COUNT,
                "donnees": plain(selectors.open_data_devices(scope)),
            }
        )
