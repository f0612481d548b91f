"""Workshops: sessions and enrolments read through ``ateliers.selectors``; repairs as Open
Repair Data Standard records in JSON, out (``ords_csv.export_values``, as the CSV export) and
in (``ateliers.services.repair_record``)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ateliers import selectors, services
from ateliers.ords import COLUMNS
from ateliers.ords_csv import export_values
from core.errors import InvalidInput

from ..models import Scope
from ..serializers import ateliers as s
from .base import PAGE_PARAMETERS, ApiView, PageQuery, int_or_404, page_response, paged


class SessionListView(ApiView):
    @extend_schema(
        operation_id="workshop_sessions_list",
        parameters=[s.SessionFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.SessionSerializer, "SessionPage"),
        summary="Séances d'ateliers",
    )
    def get(self, request):
        filters = self.validated(s.SessionFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        workshop_type = organisation = None
        if filters.get("workshop_type"):
            workshop_type = (
                selectors.workshop_types(active_only=False)
                .filter(code=filters["workshop_type"])
                .first()
            )
            if workshop_type is None:
                raise InvalidInput(
                    _("Type d'atelier inconnu."),
                    code="unknown_workshop_type",
                    field="workshop_type",
                )
        if filters.get("organisation"):
            organisation = (
                selectors.session_organisations().filter(pk=filters["organisation"]).first()
            )
            if organisation is None:
                raise InvalidInput(
                    _("Cette organisation n'organise pas de séance."),
                    code="unknown_organisation",
                    field="organisation",
                )
        rows = selectors.session_list(
            request.user,
            selectors.SessionFilters(
                workshop_type=workshop_type, organisation=organisation, when=filters["when"]
            ),
        )
        return Response(page_response(self, rows, s.SessionSerializer, query=query))


class SessionDetailView(ApiView):
    @extend_schema(operation_id="workshop_sessions_retrieve", responses=s.SessionSerializer)
    def get(self, request, pk):
        return Response(
            s.SessionSerializer(selectors.session_for(request.user, int_or_404(pk))).data
        )


class EnrolmentListView(ApiView):
    @extend_schema(
        operation_id="workshop_sessions_enrolments_list",
        responses=s.EnrolmentSerializer(many=True),
        summary="Inscriptions d'une séance (l'équipe : toutes ; les autres : leurs foyers)",
    )
    def get(self, request, pk):
        session = selectors.session_for(request.user, int_or_404(pk))
        enrolments = selectors.session_enrolments(session, request.user)
        return Response(s.EnrolmentSerializer(enrolments, many=True).data)


def ords_record(repair) -> dict:
    return dict(zip(COLUMNS, export_values(repair, repair.organisation), strict=True))


class RepairListView(ApiView):
    @extend_schema(
        operation_id="workshop_repairs_list",
        parameters=[s.RepairFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.OrdsRecordSerializer, "OrdsRecordPage"),
        summary="Réparations au format Open Repair Data Standard v0.3 (JSON)",
    )
    def get(self, request):
        filters = self.validated(s.RepairFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = selectors.repairs_visible_to(request.user).select_related("organisation")
        if filters.get("organisation"):
            rows = rows.filter(organisation_id=filters["organisation"])
        if filters.get("session"):
            rows = rows.filter(session_id=filters["session"])
        elif not filters["imported"]:
            rows = rows.filter(session__isnull=False)
        page = page_response(self, rows, _OrdsRows, query=query)
        return Response(page)


class _OrdsRows:
    """A serializer-like wrapper: ORDS records of repairs (page_response calls it)."""

    def __init__(self, rows, many=True, context=None):
        self.data = [ords_record(repair) for repair in rows]


class SessionRepairView(ApiView):
    write_scopes = (Scope.POOL,)

    @extend_schema(
        operation_id="workshop_sessions_repairs_create",
        request=s.RepairCreateSerializer,
        responses={201: s.OrdsRecordSerializer},
        summary="Enregistrer une réparation (ORDS) à une séance de réparation",
    )
    def post(self, request, pk):
        session = selectors.session_for(request.user, int_or_404(pk))
        data = self.validated(s.RepairCreateSerializer, request.data)
        repair = services.repair_record(
            session.pk,
            actor=request.user,
            status=data["repair_status"],
            barrier=data.get("repair_barrier_if_end_of_life", ""),
            device_code=data.get("device_code", ""),
            product_category_id=data.get("product_category_id"),
            brand=data.get("brand", ""),
            year_of_manufacture=data.get("year_of_manufacture"),
            problem=data.get("problem", ""),
            weight_kg=data.get("weight_kg"),
        )
        repair = (
            selectors.repairs_visible_to(request.user)
            .select_related("organisation")
            .filter(pk=repair.pk)
            .first()
        )
        if repair is None:
            raise Http404
        return Response(ords_record(repair), status=status.HTTP_201_CREATED)
