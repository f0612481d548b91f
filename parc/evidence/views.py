"""Device pages for evidence: attach a hardware report, attach an nwipe log in two steps
(upload, then confirm what it records), download a kept file. Thin: validate the upload, call
``parc.evidence.services``, turn a refusal into a French message.

Uploads are cut at their limit while they arrive (``LimitedUpload``): a file past it is
dropped unread and refused with its size, whatever Django's global settings; the file itself
goes through Django's upload handlers to a temporary file, never whole into memory.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from documents.responses import file_response

from .. import selectors, services
from . import selectors as evidence_selectors
from . import services as evidence
from .erasure_logs import MAX_LOG_BYTES
from .hardware import MAX_REPORT_BYTES


class LimitedUpload(FileUploadHandler):
    """First upload handler of a view: drops a file as soon as it passes ``limit`` bytes
    (``SkipFile``: the rest is read and thrown away, nothing is stored) and remembers it."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.refused = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.refused = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def _limit_uploads(request, limit: int) -> LimitedUpload:
    handler = LimitedUpload(request, limit)
    request.upload_handlers.insert(0, handler)
    return handler


def _refused_form(form_class, field: str, message: str):
    """A form showing one refusal of its file field (the file itself was dropped)."""
    form = form_class(data={}, files={})
    form.is_valid()
    form.errors[field] = form.error_class([message])
    return form


def _too_large(limit: int) -> str:
    return _("Le fichier dépasse %(limit)s Mo : il n'a pas été lu.") % {"limit": limit // 2**20}


class HardwareReportForm(forms.Form):
    report = forms.FileField(
        label=gettext_lazy("Rapport matériel"),
        help_text=gettext_lazy(
            "La sortie de « lshw -json », de « inxi -Fxxx --output json --output-file print »,"
            " de « smartctl -j -a » ou de « dmidecode », prise sur l'appareil (5 Mo au plus)."
        ),
    )


class ErasureLogForm(forms.Form):
    log = forms.FileField(
        label=gettext_lazy("Journal nwipe"),
        help_text=gettext_lazy("Le fichier écrit par « nwipe --logfile=… » (20 Mo au plus)."),
    )


def _refusal(error) -> str:
    if isinstance(error, (ApplicationError, services.DeviceActionError)):
        return error.message
    return " ".join(error.messages)


REFUSALS = (ApplicationError, services.DeviceActionError, ValidationError)


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body
@login_required
@require_http_methods(["GET", "POST"])
def hardware_report(request, code):
    limit = _limit_uploads(request, MAX_REPORT_BYTES)
    return _hardware_report(request, code, limit)


@csrf_protect
def _hardware_report(request, code, limit: LimitedUpload):
    device = selectors.device_for_page(request.user, code)
    form = HardwareReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and limit.refused:
        form = _refused_form(HardwareReportForm, "report", _too_large(MAX_REPORT_BYTES))
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["report"]
        try:
            raw = evidence.read_upload(upload, MAX_REPORT_BYTES)
            outcome = evidence.hardware_report_apply(
                device.pk, request.user, raw, filename=upload.name
            )
        except REFUSALS as error:
            form.add_error("report", _refusal(error))
        else:
            messages.success(
                request,
                _("Rapport %(tool)s lu : son résumé est dans l'historique de l'appareil.")
                % {"tool": outcome.report.label},
            )
            return redirect("parc:device", code=device.public_code)
    return render(
        request,
        "parc/evidence/hardware_report.html",
        {"device": device, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body
@login_required
@require_http_methods(["GET", "POST"])
def erasure_log(request, code):
    """Step 1: upload the log. It is read and kept on the server (staged) for the person
    who sent it; step 2 names it by its id."""
    limit = _limit_uploads(request, MAX_LOG_BYTES)
    return _erasure_log(request, code, limit)


@csrf_protect
def _erasure_log(request, code, limit: LimitedUpload):
    device = selectors.device_for_page(request.user, code)
    form = ErasureLogForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and limit.refused:
        form = _refused_form(ErasureLogForm, "log", _too_large(MAX_LOG_BYTES))
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["log"]
        try:
            staged, _log = evidence.erasure_log_stage(
                device.pk, request.user, upload, filename=upload.name
            )
        except REFUSALS as error:
            form.add_error("log", _refusal(error))
        else:
            return redirect("parc:erasure_log_confirm", code=device.public_code, pk=staged.pk)
    return render(
        request,
        "parc/evidence/erasure_log.html",
        {"device": device, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def erasure_log_confirm(request, code, pk):
    """Step 2: each disk of the staged log with its medium (by serial, or to choose, create
    or ignore); the erasures are recorded only when the user confirms."""
    device = selectors.device_with_records(request.user, code)
    staged = evidence_selectors.staged_log_for(request.user, device, pk)
    media = list(device.storage_media.all())
    status = 200
    error = ""
    try:
        log = evidence.staged_log_read(staged)
    except REFUSALS as refusal:
        messages.error(request, _refusal(refusal))
        return redirect("parc:erasure_log", code=device.public_code)
    assignments = {disk.path: request.POST.get(_disk_field(disk.path), "") for disk in log.disks}
    if request.method == "POST":
        try:
            outcome = evidence.erasure_log_confirm(staged.pk, request.user, assignments=assignments)
        except REFUSALS as refusal:
            error = _refusal(refusal)
            status = 400
        else:
            messages.success(request, outcome.event.note)
            return redirect("parc:device", code=device.public_code)
    elif not media:
        # A device with no medium on record: the medium is proposed from the log; the
        # technician still confirms it.
        assignments = dict.fromkeys(assignments, evidence.CREATE)
    analysis = evidence.erasure_log_analyse(device, log, assignments)
    return render(
        request,
        "parc/evidence/erasure_log_confirm.html",
        {
            "device": device,
            "staged": staged,
            "analysis": analysis,
            "error": error,
            "disks": [
                {
                    "match": match,
                    "field": _disk_field(match.disk.path),
                    "choice": assignments.get(match.disk.path, ""),
                    "new_medium": match.disk.medium_fields(),
                }
                for match in analysis.matches
            ],
            "media": media,
            "ignore": evidence.IGNORE,
            "create": evidence.CREATE,
            "summary": ngettext("%(count)s disque", "%(count)s disques", len(analysis.matches))
            % {"count": len(analysis.matches)},
        },
        status=status,
    )


def _disk_field(path: str) -> str:
    return "disque_" + "".join(c if c.isalnum() else "_" for c in path)


@login_required
@require_GET
def evidence_download(request, code, pk):
    """A kept hardware report or erasure log, as it was sent, to anyone who may see the
    device (another organisation's: 404)."""
    kept = evidence_selectors.evidence_for_download(request.user, code, pk)
    try:
        stored = default_storage.open(kept.file.name, "rb")
    except FileNotFoundError:
        messages.error(
            request, _("Le fichier de ce justificatif est introuvable dans le stockage.")
        )
        return redirect("parc:device", code=kept.device.public_code)
    return file_response(stored, kept.original_name, content_type=kept.content_type)
