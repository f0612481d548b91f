"""Scan pages: the scan page (one code, open its device) and batch mode (one action chosen
once, applied to every code scanned), with the inventory of a location.

Thin like ``parc.views``: validate a form, read through ``parc.scanning.selectors``, call one
function of ``parc.scanning.services``, and turn a refusal into a French message. Every page works
without JavaScript (plain POST, then redirect); with htmx a scan returns only its new line
and the counters.

Camera scanning decodes QR codes in WebAssembly where the browser has no BarcodeDetector:
the pages that offer it allow 'wasm-unsafe-eval' (and nothing else) in their script-src.
"""

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.views import attempt

from ..models import ScanAction, ScanOutcome
from ..services import TRANSITIONS
from . import selectors as scan_selectors
from . import services as scanning
from .forms import BatchStartForm, MoveHereForm, ScanForm

# WebAssembly compilation for the QR decoder committed under static/vendor/barcode-detector/.
allow_wasm = csp_update({"script-src": ["'wasm-unsafe-eval'"]})


@login_required
@allow_wasm
@require_http_methods(["GET", "POST"])
def scan(request):
    """Scan or type a code: open the device page, or say in place why not."""
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code = scanning.read_code(form.cleaned_data["code"])
        except scanning.CodeRejected as rejected:
            form.add_error("code", rejected.message)
        else:
            device = scan_selectors.scanned_device(request.user, code)
            if device is None:
                form.add_error("code", scanning.unknown_code_message())
            else:
                return redirect("parc:device", code=device.public_code)
    return render(
        request,
        "parc/scan/scan.html",
        {"form": form, "can_batch": scan_selectors.can_scan(request.user)},
    )


def batch_title(batch) -> str:
    if batch.action == ScanAction.TRANSITION:
        info = TRANSITIONS.get(batch.transition)
        return _("Série : %(action)s") % {"action": info.label if info else batch.transition}
    if batch.action == ScanAction.MOVE:
        return _("Série : déplacement vers « %(location)s »") % {"location": batch.location.name}
    return _("Inventaire : « %(location)s »") % {"location": batch.location.name}


@login_required
@require_http_methods(["GET", "POST"])
def batch_start(request):
    if not scan_selectors.can_scan(request.user):
        raise PermissionDenied
    form = BatchStartForm(
        request.POST or None,
        organisations=scan_selectors.batch_organisations(request.user),
        locations=scan_selectors.batch_locations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        started = attempt(request, scanning.batch_start, request.user, **form.batch_kwargs())
        if started:
            return redirect("parc:scan_batch", batch_id=started.value.pk)
    batches = scan_selectors.open_batches(request.user)
    return render(
        request,
        "parc/scan/batch_start.html",
        {"form": form, "batches": [(batch, batch_title(batch)) for batch in batches]},
    )


def _batch_context(batch) -> dict:
    inventory = batch.action == ScanAction.INVENTORY
    return {
        "batch": batch,
        "title": batch_title(batch),
        "is_open": batch.closed_at is None,
        "inventory": inventory,
        "counts": scan_selectors.batch_counts(batch),
        "summary": scan_selectors.inventory_summary(batch) if inventory else None,
    }


def _line_code(line) -> str:
    return line.device.public_code if line.device_id else line.raw


@login_required
@allow_wasm
@require_http_methods(["GET", "POST"])
def batch_detail(request, batch_id):
    batch = scan_selectors.batch_for(request.user, batch_id)
    if request.method == "POST":
        return _batch_scan(request, batch)
    return render(
        request,
        "parc/scan/batch_detail.html",
        {
            **_batch_context(batch),
            "form": ScanForm(),
            "lines": scan_selectors.batch_lines(batch),
        },
    )


def _batch_scan(request, batch):
    form = ScanForm(request.POST)
    line, error = None, None
    if form.is_valid():
        try:
            line = scanning.scan(batch, form.cleaned_data["code"], request.user)
        except ApplicationError as refusal:
            error = refusal.message
    else:
        error = form.errors["code"][0]
    if request.htmx:
        # The new line (prepended to the running list), the counters, the inventory
        # comparison and the announcement, in one response.
        return render(
            request,
            "parc/scan/_scan_result.html",
            {**_batch_context(batch), "line": line, "error": error},
        )
    if line is None:
        messages.error(request, error)
    else:
        text = f"{_line_code(line)} : {line.message}"
        if line.outcome == ScanOutcome.APPLIED:
            messages.success(request, text)
        elif line.outcome == ScanOutcome.DUPLICATE:
            messages.warning(request, text)
        else:
            messages.error(request, text)
    return redirect("parc:scan_batch", batch_id=batch.pk)


@login_required
@require_POST
def batch_close(request, batch_id):
    batch = scan_selectors.batch_for(request.user, batch_id)
    done = _("Inventaire clos.") if batch.action == ScanAction.INVENTORY else _("Série terminée.")
    attempt(request, scanning.batch_close, batch, request.user, success=done)
    return redirect("parc:scan_batch", batch_id=batch.pk)


@login_required
@require_POST
def batch_move_here(request, batch_id):
    """Inventory: record at the inventoried location a device seen there but recorded
    elsewhere."""
    batch = scan_selectors.batch_for(request.user, batch_id)
    form = MoveHereForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Appareil inconnu."))
        return redirect("parc:scan_batch", batch_id=batch.pk)
    moved = attempt(
        request, scanning.inventory_move_here, batch, form.cleaned_data["device"], request.user
    )
    if moved:
        messages.success(
            request,
            _("%(code)s est maintenant enregistré à « %(location)s ».")
            % {"code": moved.value.device.public_code, "location": batch.location.name},
        )
    return redirect("parc:scan_batch", batch_id=batch.pk)
