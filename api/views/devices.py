"""Devices: the list (the page's filters, keyset pages), a device by id or public code, its
registration (one, or up to 1,000 through ``devices_register_bulk``), storage media, hardware
reports, erasures and nwipe logs, transitions and moves. Each view validates the shape,
reads through ``parc.selectors`` and calls one ``parc`` service."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from acteurs.models import Organisation
from acteurs.permissions import POOL_ROLES, organisations_with_role
from core.errors import InvalidInput, NotFound, NotPermitted, Refused
from dons import selectors as dons_selectors
from parc import selectors, services
from parc.evidence import services as evidence_services
from parc.evidence.hardware import ReportError, parse_report
from parc.models import StorageMedium

from ..evidence import as_bytes, evidence_apply
from ..models import Scope
from ..origin import describe
from ..serializers import devices as s
from .base import PAGE_PARAMETERS, ApiView, PageQuery, int_or_404, page_response, paged

POOL_WRITE = (Scope.POOL,)


def find_device(view, code: str, *, with_records: bool = False):
    """The device with this public code (read forgivingly) or id, if the user sees it; an
    agent token sees its organisation's devices only. Anything else is a 404."""
    user = view.request.user
    if code.isdigit():
        code = (
            selectors.devices_visible_to(user)
            .filter(pk=int_or_404(code))
            .values_list("public_code", flat=True)
            .first()
        )
        if code is None:
            raise Http404
    reader = selectors.device_with_records if with_records else selectors.device_for_page
    device = reader(user, code)
    token = view.token
    if (
        token is not None
        and token.scope == Scope.AGENT
        and device.owner_id != token.organisation_id
    ):
        raise Http404
    return device


def owner_for(view, owner_id: int | None) -> Organisation:
    """The organisation that registers: the agent's, the one given, or the user's only one."""
    token = view.token
    if token is not None and token.scope == Scope.AGENT:
        if owner_id not in (None, token.organisation_id):
            raise NotPermitted(
                _("Ce jeton d'agent enregistre des appareils pour %(org)s seulement.")
                % {"org": token.organisation.name},
                code="agent_other_organisation",
            )
        return token.organisation
    user = view.request.user
    organisations = selectors.organisations_for_filter(user)
    if not user.is_superuser:
        organisations = organisations.filter(pk__in=organisations_with_role(user, POOL_ROLES))
    if owner_id is None:
        candidates = list(organisations[:2])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise NotPermitted(_("Vous n'enregistrez d'appareil pour aucune organisation."))
        raise InvalidInput(
            _("Précisez l'organisation (owner) : vous êtes membre de plusieurs ateliers."),
            code="owner_required",
            field="owner",
        )
    owner = organisations.filter(pk=owner_id).first()
    if owner is None:
        raise InvalidInput(
            _("Organisation inconnue, ou vous n'y travaillez pas sur le parc."),
            code="unknown_owner",
            field="owner",
        )
    return owner


def donation_for(view, owner, donation_id: int | None):
    if donation_id is None:
        return None
    donation = (
        dons_selectors.donations_open_for_registration(
            view.request.user, organisation_ids=[owner.pk]
        )
        .filter(pk=donation_id)
        .first()
    )
    if donation is None:
        raise InvalidInput(
            _("Ce don n'existe pas, est clos, ou a été reçu par une autre organisation."),
            code="unknown_donation",
            field="donation",
        )
    return donation


def location_for(view, owner_id: int, location_id: int | None):
    if location_id is None:
        return None
    location = (
        selectors.stock_locations_for(view.request.user, owner_id).filter(pk=location_id).first()
    )
    if location is None:
        raise InvalidInput(
            _("Emplacement inconnu pour cette organisation."),
            code="unknown_location",
            field="location",
        )
    return location


def detail_data(view, device) -> dict:
    device.transitions = selectors.transitions_for(device, view.request.user)
    return s.DeviceDetailSerializer(device).data


class DeviceListView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("POST",)

    @extend_schema(
        operation_id="devices_list",
        parameters=[s.DeviceFilterSerializer, *PAGE_PARAMETERS],
        responses=paged(s.DeviceListSerializer, "DevicePage"),
        summary="Appareils visibles (filtres de la liste, pages par curseur)",
    )
    def get(self, request):
        filters = self.validated(s.DeviceFilterSerializer, request.query_params)
        query = self.validated(PageQuery, request.query_params)
        rows = selectors.device_list_rows(request.user, filters=filters)
        return Response(page_response(self, rows, s.DeviceListSerializer, query=query))

    @extend_schema(
        operation_id="devices_register",
        request=s.DeviceRegisterSerializer,
        responses={201: s.DeviceDetailSerializer},
        summary="Enregistrer un appareil",
    )
    def post(self, request):
        data = self.validated(s.DeviceRegisterSerializer, request.data)
        owner = owner_for(self, data.pop("owner", None))
        data["donation"] = donation_for(self, owner, data.pop("donation", None))
        data["location"] = location_for(self, owner.pk, data.pop("location", None))
        media = [dict(m) for m in data.pop("media", [])]
        if media and data.get("received_without_storage"):
            raise InvalidInput(
                _("Un appareil reçu sans support de stockage ne peut pas en avoir un ici."),
                code="media_without_storage",
                field="media",
            )
        device = services.device_register(owner=owner, actor=request.user, media=media, **data)
        device = find_device(self, device.public_code)
        return Response(detail_data(self, device), status=status.HTTP_201_CREATED)


class DeviceBulkView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("POST",)
    # Up to 1,000 devices, each with its hardware report (lshw: 10 to 200 kB).
    max_body_bytes = 64 * 1024 * 1024

    @extend_schema(
        operation_id="devices_register_bulk",
        request=s.BulkRegisterSerializer,
        responses={201: s.BulkResultSerializer},
        summary="Enregistrer jusqu'à 1 000 appareils (tout ou rien)",
    )
    def post(self, request):
        data = self.validated(s.BulkRegisterSerializer, request.data)
        owner = owner_for(self, data.get("owner"))
        donation = donation_for(self, owner, data.get("donation"))
        locations = {d["location"] for d in data["devices"] if d.get("location")}
        for location_id in locations:
            location_for(self, owner.pk, location_id)
        event_data = describe(self.token)
        rows, reports = [], []
        for index, item in enumerate(data["devices"]):
            row, report = _bulk_row(index, item, event_data)
            rows.append(row)
            reports.append(report)
        registered = services.devices_register_bulk(
            owner=owner, actor=request.user, donation=donation, rows=rows
        )
        results = [
            {
                "index": index,
                "id": device_id,
                "code": code,
                "media": len(row.media),
                "report_format": report.format if report else "",
                "warnings": list(report.warnings) if report else [],
            }
            for index, ((device_id, code), row, report) in enumerate(
                zip(registered, rows, reports, strict=True)
            )
        ]
        return Response(
            {"registered": len(registered), "results": results}, status=status.HTTP_201_CREATED
        )


def _bulk_row(index: int, item: dict, event_data: dict):
    """A ``DeviceRow`` from one item: what it gives, completed by its hardware report."""
    report = None
    fields = {
        name: item.get(name, "") or ""
        for name in ("brand", "model", "serial", "cpu", "os", "notes")
    }
    ram_gb = item.get("ram_gb")
    media = [services.MediumRow(**dict(m)) for m in item.get("media", [])]
    if item.get("hardware_report") not in (None, "", {}):
        try:
            report = parse_report(as_bytes(item["hardware_report"]))
        except ReportError as error:
            raise InvalidInput(
                _("Appareil %(n)s : %(message)s") % {"n": index + 1, "message": error.message},
                code="hardware_report_unreadable",
                field=f"devices[{index}].hardware_report",
            ) from None
        specs = report.specs()
        for name in ("brand", "model", "serial", "cpu"):
            if not fields[name] and specs.get(name):
                fields[name] = str(specs[name])[: s.TEXT_LENGTHS[name]]
        if ram_gb is None and specs.get("ram_gb") is not None:
            ram_gb = specs["ram_gb"]
        if not media:
            media = [services.MediumRow(**spec.as_fields()) for spec in report.media]
    if media and item.get("received_without_storage"):
        raise InvalidInput(
            _("Appareil %(n)s : reçu sans support de stockage, il ne peut pas en avoir.")
            % {"n": index + 1},
            code="media_without_storage",
            field=f"devices[{index}].media",
        )
    data = dict(event_data)
    if report is not None:
        data["hardware_report"] = report.format
    row = services.DeviceRow(
        kind=item["kind"],
        ram_gb=ram_gb,
        received_without_storage=item.get("received_without_storage", False),
        location_id=item.get("location"),
        media=tuple(media),
        event_data=data,
        **fields,
    )
    return row, report


class DeviceDetailView(ApiView):
    agent_methods = ("GET",)

    @extend_schema(
        operation_id="devices_retrieve",
        responses=s.DeviceDetailSerializer,
        summary="Un appareil, par son code public (FIL-…) ou son id",
    )
    def get(self, request, code):
        return Response(detail_data(self, find_device(self, code)))


class DeviceHistoryView(ApiView):
    agent_methods = ("GET",)

    @extend_schema(
        operation_id="devices_history",
        responses=s.EventSerializer(many=True),
        summary="Historique d'un appareil (50 derniers événements)",
    )
    def get(self, request, code):
        device = find_device(self, code)
        return Response(s.EventSerializer(selectors.device_history(device), many=True).data)


class DeviceMediaView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("GET", "POST")

    @extend_schema(
        operation_id="devices_media_list",
        responses=s.StorageMediumSerializer(many=True),
        summary="Supports de stockage d'un appareil",
    )
    def get(self, request, code):
        device = find_device(self, code)
        return Response(s.StorageMediumSerializer(device.storage_media.all(), many=True).data)

    @extend_schema(
        operation_id="devices_media_create",
        request=s.StorageMediumSerializer,
        responses={201: s.StorageMediumSerializer},
        summary="Ajouter un support de stockage",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.StorageMediumSerializer, request.data)
        medium = services.storage_medium_add(device.pk, request.user, **data)
        return Response(s.StorageMediumSerializer(medium).data, status=status.HTTP_201_CREATED)


class DeviceErasuresView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("GET", "POST")

    @extend_schema(
        operation_id="devices_erasures_list",
        responses=s.ErasureRecordSerializer(many=True),
        summary="Effacements des supports d'un appareil",
    )
    def get(self, request, code):
        device = find_device(self, code, with_records=True)
        records = [r for m in device.storage_media.all() for r in m.erasures.all()]
        return Response(s.ErasureRecordSerializer(records, many=True).data)

    @extend_schema(
        operation_id="devices_erasures_create",
        request=s.ErasureRecordSerializer,
        responses={201: s.ErasureRecordSerializer},
        summary="Enregistrer l'effacement d'un support",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.ErasureRecordSerializer, request.data)
        medium_id = data.pop("medium_id")
        if not StorageMedium.objects.filter(pk=medium_id, device_id=device.pk).exists():
            raise InvalidInput(
                _("Ce support n'appartient pas à l'appareil %(code)s.")
                % {"code": device.public_code},
                code="unknown_medium",
                field="medium",
            )
        record = services.erasure_record(medium_id, request.user, **data)
        return Response(s.ErasureRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class DeviceHardwareReportView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("POST",)

    @extend_schema(
        operation_id="devices_hardware_reports_create",
        request=s.HardwareReportSerializer,
        responses={201: s.HardwareOutcomeSerializer},
        summary="Joindre un rapport matériel (lshw, inxi)",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.HardwareReportSerializer, request.data)
        outcome = evidence_services.hardware_report_apply(
            device.pk, request.user, as_bytes(data["report"])
        )
        return Response(
            {
                "format": outcome.report.format,
                "filled": outcome.filled,
                "media_created": s.StorageMediumSerializer(outcome.media_created, many=True).data,
                "media_known": len(outcome.media_known),
                "warnings": outcome.report.warnings,
            },
            status=status.HTTP_201_CREATED,
        )


class DeviceErasureLogView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("POST",)

    @extend_schema(
        operation_id="devices_erasure_logs_create",
        request=s.ErasureLogSerializer,
        responses={201: s.ErasureLogOutcomeSerializer},
        summary="Joindre un journal nwipe : un effacement par disque, apparié par n° de série",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.ErasureLogSerializer, request.data)
        outcome = evidence_services.erasure_log_attach(
            device.pk,
            request.user,
            data["raw"],
            filename=data["filename"],
            assignments=data.get("assignments") or {},
        )
        matches = outcome.analysis.matches
        return Response(
            {
                "erasures": s.ErasureRecordSerializer(outcome.records, many=True).data,
                "already_recorded": [m.disk.path for m in matches if m.already_recorded],
                "ignored": [m.disk.path for m in matches if m.ignored],
            },
            status=status.HTTP_201_CREATED,
        )


def evidence_response(outcome) -> dict:
    return {
        "code": outcome.code,
        "files": outcome.files,
        "filled": outcome.filled,
        "media_created": s.StorageMediumSerializer(outcome.media_created, many=True).data,
        "erasures": s.ErasureRecordSerializer(outcome.erasures, many=True).data,
        "missing": outcome.missing,
    }


class DeviceEvidenceView(ApiView):
    write_scopes = POOL_WRITE
    agent_methods = ("POST",)
    max_body_bytes = 16 * 1024 * 1024

    @extend_schema(
        operation_id="devices_evidence_create",
        request=s.EvidenceSerializer,
        responses={201: s.EvidenceOutcomeSerializer},
        summary="Ce que l'agent a relevé : lshw, smartctl, dmidecode, journal nwipe",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.EvidenceSerializer, request.data)
        outcome = evidence_apply(request.user, device, data)
        return Response(evidence_response(outcome), status=status.HTTP_201_CREATED)


class DeviceTransitionView(ApiView):
    write_scopes = POOL_WRITE

    @extend_schema(
        operation_id="devices_transitions_create",
        request=s.TransitionSerializer,
        responses={201: s.EventSerializer},
        summary="Faire une action du cycle de vie (start_triage, wipe, mark_ready…)",
    )
    def post(self, request, code, name):
        device = find_device(self, code)
        data = self.validated(s.TransitionSerializer, request.data)
        if name not in services.TRANSITIONS:
            raise NotFound(_("Action inconnue."), code="unknown_transition")
        if name not in services.WORKSHOP_TRANSITIONS:
            raise Refused(
                _(
                    "L'action « %(action)s » se fait depuis la demande, le prêt ou la vente "
                    "qui l'accompagne."
                )
                % {"action": services.TRANSITIONS[name].label},
                code="transition_elsewhere",
            )
        common = {"expected_state": data.get("expected_state"), "note": data.get("note", "")}
        if name == "mark_ready":
            if not data.get("grade"):
                raise InvalidInput(
                    _("Indiquez l'état esthétique (grade A, B ou C)."),
                    code="grade_required",
                    field="grade",
                )
            event = services.device_mark_ready(
                device.pk,
                request.user,
                checklist=data.get("checklist") or {},
                grade=data["grade"],
                parts_replaced=data.get("parts_replaced", ""),
                os_installed=data.get("os_installed", ""),
                **common,
            )
        else:
            service = getattr(services, f"device_{name}")
            event = service(device.pk, request.user, **common)
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)


class DeviceMoveView(ApiView):
    write_scopes = POOL_WRITE

    @extend_schema(
        operation_id="devices_moves_create",
        request=s.MoveSerializer,
        responses={201: s.EventSerializer},
        summary="Changer l'appareil d'emplacement (null : aucun)",
    )
    def post(self, request, code):
        device = find_device(self, code)
        data = self.validated(s.MoveSerializer, request.data)
        location = location_for(self, device.owner_id, data["location"])
        event = services.device_move(device.pk, request.user, location)
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)
