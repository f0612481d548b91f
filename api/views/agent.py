"""What the registration agent asks besides the device endpoints: its settings (the
organisation's erasure method) and the bundles it wrote without a network."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..evidence import evidence_apply
from ..models import NwipeMethod, Scope
from ..serializers import devices as s
from .base import ApiView
from .devices import evidence_response, find_device


class AgentInfoSerializer(serializers.Serializer):
    organisation = serializers.CharField(allow_blank=True)
    token = serializers.CharField(allow_blank=True)
    nwipe_method = serializers.ChoiceField(NwipeMethod.choices)
    nwipe_verify = serializers.CharField()
    server_time = serializers.DateTimeField()


class AgentInfoView(ApiView):
    agent_methods = ("GET",)

    @extend_schema(
        operation_id="agent_retrieve",
        responses=AgentInfoSerializer,
        summary="Réglages de l'agent : organisation et méthode d'effacement",
    )
    def get(self, request):
        token = self.token
        agent = token is not None and token.scope == Scope.AGENT
        return Response(
            {
                "organisation": token.organisation.name if agent else "",
                "token": token.name if token is not None else "",
                "nwipe_method": token.nwipe_method if agent else NwipeMethod.ZERO,
                "nwipe_verify": "last",
                "server_time": timezone.now(),
            }
        )


class AgentBundleView(ApiView):
    write_scopes = (Scope.POOL,)
    agent_methods = ("POST",)
    max_body_bytes = 16 * 1024 * 1024

    @extend_schema(
        operation_id="agent_bundles_create",
        request=s.BundleSerializer,
        responses={201: s.EvidenceOutcomeSerializer},
        summary="Déposer un paquet écrit par l'agent sans réseau",
    )
    def post(self, request):
        data = self.validated(s.BundleSerializer, request.data)
        device = find_device(self, data["code"].strip())
        outcome = evidence_apply(request.user, device, data)
        return Response(evidence_response(outcome), status=status.HTTP_201_CREATED)
