"""Device pages to attach evidence: a hardware report (lshw or inxi JSON) and an nwipe log.
Thin: validate the upload, call ``parc.evidence.services``, turn a refusal into a French message."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from core.views import refusal_message

from .. import selectors
from . import services as evidence
from .erasure_logs import MAX_LOG_BYTES
from .hardware import MAX_REPORT_BYTES


class HardwareReportForm(forms.Form):
    report = forms.FileField(
        label=gettext_lazy("Rapport matériel (JSON)"),
        help_text=gettext_lazy(
            "La sortie de « lshw -json » ou de « inxi -Fxxx --output json --output-file print »,"
            " prise sur l'appareil."
        ),
    )


class ErasureLogForm(forms.Form):
    log = forms.FileField(
        label=gettext_lazy("Journal nwipe"),
        help_text=gettext_lazy("Le fichier écrit par « nwipe --logfile=… »."),
        required=False,
    )
    contenu = forms.CharField(widget=forms.HiddenInput, required=False)
    nom = forms.CharField(widget=forms.HiddenInput, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def hardware_report(request, code):
    device = selectors.device_with_records(request.user, code)
    form = HardwareReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            raw = evidence.read_upload(form.cleaned_data["report"], MAX_REPORT_BYTES)
            outcome = evidence.hardware_report_apply(device.pk, request.user, raw)
        except (ApplicationError, forms.ValidationError) as error:
            form.add_error("report", refusal_message(error))
        else:
            messages.success(request, outcome.event.note)
            for warning in outcome.report.warnings:
                messages.warning(request, warning)
            return redirect("parc:device", code=device.public_code)
    return render(
        request,
        "parc/evidence/hardware_report.html",
        {"device": device, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def erasure_log(request, code):
    """Two steps: the log is read and each disk shown with its medium (by serial, or to
    choose); the erasures are recorded only when the user confirms."""
    device = selectors.device_with_records(request.user, code)
    form = ErasureLogForm(request.POST or None, request.FILES or None)
    analysis = None
    status = 200
    if request.method == "POST" and form.is_valid():
        status = 400
        try:
            if form.cleaned_data["log"]:
                upload = form.cleaned_data["log"]
                raw = evidence.read_upload(upload, MAX_LOG_BYTES)
                name = upload.name
            elif form.cleaned_data["contenu"]:
                raw = evidence.decode_from_form(form.cleaned_data["contenu"])
                name = form.cleaned_data["nom"] or "nwipe.log"
            else:
                raise evidence.EvidenceError(_("Joignez le journal nwipe."))
            log = evidence.erasure_log_parse(raw)
            assignments = {
                disk.path: request.POST.get(_disk_field(disk.path), "") for disk in log.disks
            }
            analysis = evidence.erasure_log_analyse(device, log, assignments)
            if "enregistrer" in request.POST and not analysis.unmatched:
                outcome = evidence.erasure_log_attach(
                    device.pk, request.user, raw, filename=name, assignments=assignments
                )
                messages.success(request, outcome.event.note)
                return redirect("parc:device", code=device.public_code)
            form = ErasureLogForm(initial={"contenu": evidence.encode_for_form(raw), "nom": name})
            status = 200
            if "enregistrer" in request.POST:
                messages.error(request, _("Choisissez le support de chaque disque, ou ignorez-le."))
                status = 400
        except (ApplicationError, forms.ValidationError) as error:
            form.add_error(None, refusal_message(error))
            analysis = None
    media = list(device.storage_media.all())
    return render(
        request,
        "parc/evidence/erasure_log.html",
        {
            "device": device,
            "form": form,
            "analysis": analysis,
            "disks": [
                {"match": match, "field": _disk_field(match.disk.path)}
                for match in (analysis.matches if analysis else [])
            ],
            "media": media,
            "ignore": evidence.IGNORE,
            "summary": ngettext("%(count)s disque", "%(count)s disques", len(analysis.matches))
            % {"count": len(analysis.matches)}
            if analysis
            else "",
        },
        status=status,
    )


def _disk_field(path: str) -> str:
    return "disque_" + "".join(c if c.isalnum() else "_" for c in path)
