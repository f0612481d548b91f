"""Households and device requests for the prescribers' tools, loans read. Households through
``acteurs.selectors``/``services``, requests and loans through ``prets``."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from acteurs import selectors as acteurs_selectors
from acteurs import services as acteurs_services
from acteurs.consent import CURRENT_CONSENT_VERSION
from acteurs.models import Commune, Organisation
from ateliers import selectors as ateliers_selectors
from core.errors import InvalidInput, NotFound
from prets import selectors, services

from ..models import Scope
from ..serializers import prets as s
from .base import PAGE_PARAMETERS, ApiView, PageQuery, int_or_404, page_response, paged

REQUESTS_WRITE = (Scope.REQUESTS,)


class HouseholdListView(ApiView):
    write_scopes = REQUESTS_WRITE

    @extend_schema(
        operation_id="households_list",
        parameters=PAGE_PARAMETERS,
        responses=paged(s.HouseholdSerializer, "HouseholdPage"),
        summary="Foyers suivis par vos organisations",
    )
    def get(self, request):
        query = self.validated(PageQuery, request.query_params)
        rows = acteurs_selectors.household_list(request.user)
        return Response(page_response(self, rows, s.HouseholdSerializer, query=query))

    @extend_schema(
        operation_id="households_create",
        request=s.HouseholdCreateSerializer,
        responses={201: s.HouseholdSerializer},
        summary="Enregistrer un foyer (informé, avec la version du texte lu)",
    )
    def post(self, request):
        data = self.validated(s.HouseholdCreateSerializer, request.data)
        if data.pop("consent_version") != CURRENT_CONSENT_VERSION:
            raise InvalidInput(
                _("Le foyer doit avoir lu le texte d'information en vigueur (version %(version)s).")
                % {"version": CURRENT_CONSENT_VERSION},
                code="consent_version_outdated",
                field="consent_version",
            )
        organisation = _household_organisation(request.user, data.pop("organisation", None))
        commune = Commune.objects.filter(pk=data.pop("commune")).first()
        if commune is None:
            raise InvalidInput(_("Commune inconnue."), code="unknown_commune", field="commune")
        household = acteurs_services.household_create(
            actor=request.user,
            organisation=organisation,
            informed=data.pop("informed"),
            commune=commune,
            **data,
        )
        return Response(s.HouseholdSerializer(household).data, status=status.HTTP_201_CREATED)


def _household_organisation(user, organisation_id) -> Organisation:
    organisations = list(acteurs_selectors.household_organisations_for(user))
    if organisation_id is None and len(organisations) == 1:
        return organisations[0]
    for organisation in organisations:
        if organisation.pk == organisation_id:
            return organisation
    raise InvalidInput(
        _("Précisez une organisation dont vous suivez les foyers."),
        code="unknown_organisation",
        field="organisation",
    )


class HouseholdDetailView(ApiView):
    @extend_schema(operation_id="households_retrieve", responses=s.HouseholdSerializer)
    def get(self, request, pk):
        household = acteurs_selectors.household_for(request.user, int_or_404(pk))
        return Response(s.HouseholdSerializer(household).data)


class EligibilityCheckView(ApiView):
    write_scopes = REQUESTS_WRITE

    @extend_schema(
        operation_id="households_eligibility_checks_create",
        request=s.EligibilityCheckCreateSerializer,
        responses={201: s.EligibilityCheckSerializer},
        summary="Noter la vérification d'éligibilité d'un foyer",
    )
    def post(self, request, pk):
        household = selectors.household_for_prescriber(request.user, int_or_404(pk))
        data = self.validated(s.EligibilityCheckCreateSerializer, request.data)
        criterion = selectors.active_criteria().filter(code=data["criterion"]).first()
        if criterion is None:
            raise InvalidInput(
                _("Critère d'éligibilité inconnu."), code="unknown_criterion", field="criterion"
            )
        check = services.eligibility_check_record(
            household.pk,
            request.user,
            criterion=criterion,
            proof_kind=data.get("proof_kind", ""),
            checked_on=data.get("checked_on"),
        )
        return Response(s.EligibilityCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class RequestListView(ApiView):
    write_scopes = REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_list",
        parameters=[s.RequestFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.RequestSerializer, "RequestPage"),
        summary="Demandes d'équipement (envoyées ou reçues)",
    )
    def get(self, request):
        filters = self.validated(s.RequestFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = selectors.requests_visible_to(request.user)
        if filters.get("state"):
            rows = rows.filter(state=filters["state"])
        if filters.get("household"):
            rows = rows.filter(household_id=filters["household"])
        return Response(page_response(self, rows, s.RequestSerializer, query=query))

    @extend_schema(
        operation_id="requests_create",
        request=s.RequestCreateSerializer,
        responses={201: s.RequestDetailSerializer},
        summary="Demander un appareil pour un foyer",
    )
    def post(self, request):
        data = self.validated(s.RequestCreateSerializer, request.data)
        household = selectors.household_for_prescriber(request.user, data["household"])
        refurbisher = selectors.refurbishers().filter(pk=data["refurbisher"]).first()
        if refurbisher is None:
            raise InvalidInput(
                _("Cette organisation ne prête ni ne vend d'appareils."),
                code="unknown_refurbisher",
                field="refurbisher",
            )
        training = None
        if data.get("training"):
            training = ateliers_selectors.workshop_types().filter(code=data["training"]).first()
            if training is None:
                raise InvalidInput(
                    _("Type d'atelier inconnu."), code="unknown_training", field="training"
                )
        eligibility = None
        if data.get("eligibility"):
            eligibility = next(
                (c for c in selectors.eligibility_checks(household) if c.pk == data["eligibility"]),
                None,
            )
            if eligibility is None:
                raise InvalidInput(
                    _("Cette vérification d'éligibilité ne concerne pas ce foyer."),
                    code="unknown_eligibility",
                    field="eligibility",
                )
        created = services.request_create(
            request.user,
            household=household,
            refurbisher=refurbisher,
            device_kind=data["device_kind"],
            purpose=data["purpose"],
            mode=data["mode"],
            urgency=data["urgency"],
            training=training,
            eligibility=eligibility,
            details=data.get("details", ""),
            consent_informed=data["consent_informed"],
            submit=data["submit"],
        )
        return Response(_request_detail(request.user, created.pk), status=status.HTTP_201_CREATED)


def _request_detail(user, pk: int) -> dict:
    found = selectors.request_for(user, pk)
    found.history = selectors.request_history(found)
    return s.RequestDetailSerializer(found).data


class RequestDetailView(ApiView):
    @extend_schema(
        operation_id="requests_retrieve",
        responses=s.RequestDetailSerializer,
        summary="Une demande, son état et son historique",
    )
    def get(self, request, pk):
        return Response(_request_detail(request.user, int_or_404(pk)))


class RequestTransitionView(ApiView):
    write_scopes = REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_transitions_create",
        request=s.RequestTransitionSerializer,
        responses={201: s.RequestDetailSerializer},
        summary="submit, cancel (prescripteur) ; approve, reject (association)",
    )
    def post(self, request, pk, name):
        found = selectors.request_for(request.user, int_or_404(pk))
        data = self.validated(s.RequestTransitionSerializer, request.data)
        expected = data.get("expected_state")
        note = data.get("note", "")
        if name == "submit":
            services.request_submit(found.pk, request.user, expected_state=expected)
        elif name == "cancel":
            services.request_cancel(found.pk, request.user, note=note, expected_state=expected)
        elif name == "approve":
            services.request_approve(found.pk, request.user, note=note, expected_state=expected)
        elif name == "reject":
            services.request_reject(
                found.pk, request.user, reason=data.get("reason", ""), expected_state=expected
            )
        else:
            raise NotFound(_("Action inconnue."), code="unknown_transition")
        return Response(_request_detail(request.user, found.pk), status=status.HTTP_201_CREATED)


class LoanListView(ApiView):
    @extend_schema(
        operation_id="loans_list",
        parameters=[s.LoanFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.LoanSerializer, "LoanPage"),
        summary="Prêts (de vos foyers ou de votre association)",
    )
    def get(self, request):
        filters = self.validated(s.LoanFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = selectors.loan_list(request.user, filter=filters.get("filter", ""))
        return Response(page_response(self, rows, s.LoanSerializer, query=query))


class LoanDetailView(ApiView):
    @extend_schema(operation_id="loans_retrieve", responses=s.LoanSerializer)
    def get(self, request, pk):
        return Response(s.LoanSerializer(selectors.loan_for(request.user, int_or_404(pk))).data)
