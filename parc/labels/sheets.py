"""Label sheets: which label goes in which cell, the PDF, and the background job.

The entry point is ``request_labels(user, device_ids, ...)``: any list of device ids works,
whatever produced it (the ticked rows of the list, the current list filter, one device page,
and later a donation), in the order given. Under ``BACKGROUND_FROM`` labels the PDF comes back
at once; from there a ``LabelJob`` (core.jobs.BackgroundJob) is created and a Celery task
renders it through ``core.jobs.run_job``, beating with its progress for the job page to poll.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from acteurs.permissions import is_coordinator
from core.errors import InvalidInput
from core.jobs import run_job
from documents.qr import qr_svg_compact
from dons import selectors as dons_selectors

from .. import selectors
from ..codes import PREFIX
from ..models import Device, LabelJob
from .layouts import LAYOUTS, LabelLayout

# Smaller batches come back at once; from this many labels on, they are made in the background.
BACKGROUND_FROM = 200
MAX_COPIES = 20
# About 240 sheets of L7160: beyond that, split the batch (or the filter).
MAX_LABELS = 5000
# The background job lays out this many labels at a time and reports its progress in between.
CHUNK_LABELS = 105


class LabelRequestError(InvalidInput):
    """A request that cannot be printed; ``message`` says why, in French."""

    code = "labels_refused"


@dataclass(frozen=True)
class Label:
    """What is printed on one label."""

    code: str
    url: str
    kind: str
    brand_model: str
    organisation: str

    @property
    def code_prefix(self) -> str:
        return f"{PREFIX}-"

    @property
    def code_body(self) -> str:
        return self.code.removeprefix(self.code_prefix)


def device_url(code: str) -> str:
    """The address a QR label holds: the device page, absolute."""
    return settings.SITE_BASE_URL + reverse("parc:device", kwargs={"code": code})


def label_for(device: Device) -> Label:
    return Label(
        code=device.public_code,
        url=device_url(device.public_code),
        kind=capfirst(device.get_kind_display()),
        brand_model=" ".join(part for part in (device.brand, device.model) if part),
        organisation=device.owner.short_name,
    )


# --- layout: which label in which cell ---------------------------------------------------------


def check_options(layout_key: str, *, start: int, copies: int, count: int) -> LabelLayout:
    """The layout for ``layout_key`` if these options can be printed, else LabelRequestError."""
    layout = LAYOUTS.get(layout_key)
    if layout is None:
        raise LabelRequestError(_("Format d'étiquettes inconnu."))
    cells = layout.cells_per_sheet
    if layout.continuous and start != 1:
        raise LabelRequestError(
            _("Sur un rouleau, l'impression commence toujours à la première étiquette.")
        )
    if not 1 <= start <= cells:
        raise LabelRequestError(
            _("La planche compte %(cells)s étiquettes : la position de départ va de 1 à %(cells)s.")
            % {"cells": cells}
        )
    if not 1 <= copies <= MAX_COPIES:
        raise LabelRequestError(
            _("Le nombre d'exemplaires va de 1 à %(max)s par appareil.") % {"max": MAX_COPIES}
        )
    if count < 1:
        raise LabelRequestError(_("Aucun appareil sélectionné : cochez-en au moins un."))
    if count * copies > MAX_LABELS:
        raise LabelRequestError(
            _(
                "%(total)s étiquettes demandées : c'est plus que les %(max)s permises en une "
                "fois. Réduisez la sélection ou le nombre d'exemplaires."
            )
            % {"total": count * copies, "max": MAX_LABELS}
        )
    return layout


def plan_sheets(
    labels: Sequence, layout: LabelLayout, *, start: int = 1, copies: int = 1
) -> list[list[tuple[int, object]]]:
    """Each sheet as a list of (cell index, label), cells counted from 0.

    The ``start - 1`` first cells of the first sheet stay blank (a sheet already used); the
    copies of one label follow each other, in the order of ``labels``.
    """
    cells = layout.cells_per_sheet
    sheets: list[list[tuple[int, object]]] = []
    position = start - 1
    for label in labels:
        for _copy in range(copies):
            index = position % cells
            if index == 0 or not sheets:
                sheets.append([])
            sheets[-1].append((index, label))
            position += 1
    return sheets


def _chunks(sheets: list, per_chunk: int) -> list[list]:
    """Whole sheets, grouped so each group holds about ``per_chunk`` labels."""
    groups: list[list] = [[]]
    in_group = 0
    for sheet in sheets:
        if in_group and in_group + len(sheet) > per_chunk:
            groups.append([])
            in_group = 0
        groups[-1].append(sheet)
        in_group += len(sheet)
    return groups


# --- rendering ---------------------------------------------------------------------------------


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"Label sheets fetch nothing: {url}")


def render_labels_pdf(
    labels: Sequence[Label],
    layout: LabelLayout,
    *,
    start: int = 1,
    copies: int = 1,
    progress: Callable[[int], None] | None = None,
    chunk_labels: int = CHUNK_LABELS,
) -> bytes:
    """The PDF of the labels, laid out ``chunk_labels`` at a time (``progress`` is told how
    many are done after each group), then written as one document."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    sheets = plan_sheets(labels, layout, start=start, copies=copies)
    cells_css = [layout.cell_position(index) for index in range(layout.cells_per_sheet)]
    fonts = FontConfiguration()
    svgs: dict[str, str] = {}  # the copies of a label share their QR code
    documents = []
    done = 0
    for group in _chunks(sheets, chunk_labels):
        rendered_sheets = []
        for sheet in group:
            cells = []
            for index, label in sheet:
                svg = svgs.get(label.url)
                if svg is None:
                    svg = svgs[label.url] = mark_safe(qr_svg_compact(label.url))
                cells.append((index, label, svg))
            rendered_sheets.append(cells)
        html = render_to_string(
            "parc/labels.html",
            {"layout": layout, "cells_css": cells_css, "sheets": rendered_sheets},
        )
        documents.append(
            HTML(string=html, base_url=settings.SITE_BASE_URL, url_fetcher=_refuse_fetch).render(
                font_config=fonts
            )
        )
        done += sum(len(sheet) for sheet in group)
        if progress is not None:
            progress(done)
    if len(documents) == 1:
        return documents[0].write_pdf()
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def pdf_filename(layout: LabelLayout, day: date | None = None) -> str:
    day = day or timezone.localdate()
    return f"etiquettes-{layout.key}-{day:%Y-%m-%d}.pdf"


# --- reads, scoped to the user's organisations -------------------------------------------------


def check_pool_access(user) -> None:
    if not (is_coordinator(user) or selectors.visible_organisation_ids(user)):
        raise PermissionDenied


def devices_for_labels(user, device_ids: Sequence[int]) -> list[Device]:
    """The devices, in the order of ``device_ids`` (duplicates dropped), all visible to the user,
    or LabelRequestError naming how many are not."""
    wanted = list(dict.fromkeys(device_ids))
    if not wanted:
        raise LabelRequestError(_("Aucun appareil sélectionné : cochez-en au moins un."))
    if len(wanted) > MAX_LABELS:
        raise LabelRequestError(
            _("Trop d'appareils sélectionnés : %(max)s au plus en une fois.") % {"max": MAX_LABELS}
        )
    found = {
        device.pk: device
        for device in selectors.devices_visible_to(user)
        .filter(pk__in=wanted)
        .select_related("owner")
    }
    missing = len(wanted) - len(found)
    if missing:
        raise LabelRequestError(
            ngettext(
                "%(count)s appareil de la sélection n'existe pas ou appartient à une autre "
                "organisation : aucune étiquette n'a été préparée.",
                "%(count)s appareils de la sélection n'existent pas ou appartiennent à une "
                "autre organisation : aucune étiquette n'a été préparée.",
                missing,
            )
            % {"count": missing}
        )
    return [found[pk] for pk in wanted]


def donation_for_labels(user, donation_id: int):
    """The donation, if the user's organisations received it; another one's is a 404."""
    donation = dons_selectors.donations_visible_to(user).filter(pk=donation_id).first()
    if donation is None:
        raise Http404
    return donation


def device_ids_from_donation(user, donation) -> list[int]:
    """The ids of the devices registered for a donation, in the order they were registered
    (the order of the pile they came in), among the devices the user sees."""
    queryset = selectors.devices_visible_to(user).filter(donation=donation).order_by("id")
    ids = list(queryset.values_list("pk", flat=True)[: MAX_LABELS + 1])
    if len(ids) > MAX_LABELS:
        raise LabelRequestError(
            _(
                "Plus de %(max)s appareils sont enregistrés pour ce don : filtrez la liste des "
                "appareils pour imprimer leurs étiquettes en plusieurs fois."
            )
            % {"max": MAX_LABELS}
        )
    return ids


def device_ids_from_filter(user, filters: dict) -> list[int]:
    """The ids of the devices the list shows with these filters, in its order (newest first)."""
    queryset = selectors.device_list(user, filters=filters).order_by("-id")
    ids = list(queryset.values_list("pk", flat=True)[: MAX_LABELS + 1])
    if len(ids) > MAX_LABELS:
        raise LabelRequestError(
            _(
                "Plus de %(max)s appareils correspondent à ce filtre : affinez-le pour imprimer "
                "leurs étiquettes."
            )
            % {"max": MAX_LABELS}
        )
    return ids


def label_jobs_visible_to(user) -> QuerySet[LabelJob]:
    """Jobs of the user's organisations (every job for a coordinator), and their own."""
    queryset = LabelJob.objects.select_related("organisation")
    org_ids = selectors.visible_organisation_ids(user)
    if org_ids is not None:
        queryset = queryset.filter(Q(organisation_id__in=org_ids) | Q(requested_by=user))
    return queryset


def label_job_for(user, job_id: int) -> LabelJob:
    try:
        return label_jobs_visible_to(user).get(pk=job_id)
    except LabelJob.DoesNotExist:
        raise Http404 from None


# --- the use case ------------------------------------------------------------------------------


@dataclass
class LabelOutcome:
    """Either the PDF, ready now, or the job that will make it."""

    layout: LabelLayout
    total: int
    pdf: bytes | None = None
    job: LabelJob | None = None

    @property
    def filename(self) -> str:
        return pdf_filename(self.layout)


def request_labels(
    user, device_ids: Sequence[int], *, layout_key: str, start: int = 1, copies: int = 1
) -> LabelOutcome:
    """Print labels for these devices: the PDF at once, or a background job for big batches."""
    check_pool_access(user)
    # Options first: a refusal costs no query. Every id must then be visible to the user.
    layout = check_options(layout_key, start=start, copies=copies, count=len(set(device_ids)))
    devices = devices_for_labels(user, device_ids)
    total = len(devices) * copies
    if total < BACKGROUND_FROM:
        labels = [label_for(device) for device in devices]
        pdf = render_labels_pdf(labels, layout, start=start, copies=copies)
        return LabelOutcome(layout=layout, total=total, pdf=pdf)

    owners = Counter(device.owner_id for device in devices)
    job = LabelJob.objects.create(
        organisation_id=owners.most_common(1)[0][0],
        requested_by=user,
        layout=layout.key,
        options={"start": start, "copies": copies},
        device_ids=[device.pk for device in devices],
        total=total,
    )
    job.enqueue()
    return LabelOutcome(layout=layout, total=total, job=job)


def run_label_job(job_id: int) -> None:
    """Render a job's PDF, beating with the labels laid out so far; a job already started
    (another worker, a redelivered task) is left alone (core.jobs.run_job)."""

    def render(job: LabelJob) -> dict:
        layout = LAYOUTS[job.layout]
        devices = Device.objects.filter(pk__in=job.device_ids).select_related("owner")
        by_id = {device.pk: device for device in devices}
        labels = [label_for(by_id[pk]) for pk in job.device_ids if pk in by_id]
        # Labels laid out so far; writing the PDF comes after the last group (the job page
        # says so while the job is still running with every label done).
        pdf = render_labels_pdf(
            labels,
            layout,
            start=job.options.get("start", 1),
            copies=job.options.get("copies", 1),
            progress=job.beat,
        )
        name = pdf_filename(layout, timezone.localdate(job.created_at))
        job.pdf.save(name, ContentFile(pdf), save=False)
        return {"done": job.total, "pdf": job.pdf.name}

    run_job(LabelJob, job_id, render)
