"""Gisements and donations: read through ``dons.selectors``; donations created and moved
through their states by ``dons.services``."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.errors import InvalidInput, NotFound
from dons import selectors, services
from dons.models import DonationLine

from ..models import Scope
from ..serializers import dons as s
from .base import PAGE_PARAMETERS, ApiView, PageQuery, int_or_404, page_response, paged


class GisementListView(ApiView):
    @extend_schema(
        operation_id="gisements_list",
        parameters=[s.GisementFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.GisementSerializer, "GisementPage"),
        summary="Gisements visibles",
    )
    def get(self, request):
        filters = self.validated(s.GisementFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = selectors.gisement_list(request.user, filters=filters)
        return Response(page_response(self, rows, s.GisementSerializer, query=query))


class GisementDetailView(ApiView):
    @extend_schema(operation_id="gisements_retrieve", responses=s.GisementSerializer)
    def get(self, request, pk):
        gisement = selectors.gisement_for(request.user, int_or_404(pk))
        return Response(s.GisementSerializer(gisement).data)


def _lines():
    return Prefetch("lines", queryset=DonationLine.objects.order_by("kind"))


class DonationListView(ApiView):
    write_scopes = (Scope.POOL,)

    @extend_schema(
        operation_id="donations_list",
        parameters=[s.DonationFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.DonationSerializer, "DonationPage"),
        summary="Dons visibles",
    )
    def get(self, request):
        filters = self.validated(s.DonationFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = (
            selectors.donations_visible_to(request.user)
            .select_related("gisement")
            .prefetch_related(_lines())
        )
        if filters.get("state"):
            rows = rows.filter(state=filters["state"])
        if filters.get("gisement"):
            rows = rows.filter(gisement_id=filters["gisement"])
        return Response(page_response(self, rows, s.DonationSerializer, query=query))

    @extend_schema(
        operation_id="donations_create",
        request=s.DonationCreateSerializer,
        responses={201: s.DonationSerializer},
        summary="Annoncer un don (quantités déclarées)",
    )
    def post(self, request):
        data = self.validated(s.DonationCreateSerializer, request.data)
        gisement = selectors.gisement_for(request.user, data.pop("gisement"))
        lines = {}
        for line in data.pop("lines", []):
            if line["kind"] in lines:
                raise InvalidInput(
                    _("Un type d'équipement apparaît deux fois."), code="duplicate_line"
                )
            lines[line["kind"]] = line["quantity"]
        donation = services.donation_create(gisement.pk, actor=request.user, lines=lines, **data)
        donation = selectors.donation_for(request.user, donation.pk)
        return Response(s.DonationSerializer(donation).data, status=status.HTTP_201_CREATED)


class DonationDetailView(ApiView):
    @extend_schema(operation_id="donations_retrieve", responses=s.DonationSerializer)
    def get(self, request, pk):
        donation = selectors.donation_for(request.user, int_or_404(pk))
        return Response(s.DonationSerializer(donation).data)


class DonationTransitionView(ApiView):
    write_scopes = (Scope.POOL,)

    @extend_schema(
        operation_id="donations_transitions_create",
        request=s.DonationTransitionSerializer,
        responses={201: s.DonationEventSerializer},
        summary="Faire avancer un don : collect, receive, close, cancel",
    )
    def post(self, request, pk, name):
        donation = selectors.donation_for(request.user, int_or_404(pk))
        data = self.validated(s.DonationTransitionSerializer, request.data)
        common = {"expected_state": data.get("expected_state"), "note": data.get("note", "")}
        if name == "collect":
            event = services.donation_collect(
                donation.pk, request.user, pickup_date=data.get("pickup_date"), **common
            )
        elif name == "receive":
            if not data.get("received_on"):
                raise InvalidInput(
                    _("Indiquez la date de réception."),
                    code="received_on_required",
                    field="received_on",
                )
            event = services.donation_receive(
                donation.pk,
                request.user,
                received_on=data["received_on"],
                weight_kg=data.get("weight_kg"),
                **common,
            )
        elif name == "close":
            event = services.donation_close(donation.pk, request.user, **common)
        elif name == "cancel":
            event = services.donation_cancel(donation.pk, request.user, **common)
        else:
            raise NotFound(_("Action inconnue."), code="unknown_transition")
        return Response(s.DonationEventSerializer(event).data, status=status.HTTP_201_CREATED)
