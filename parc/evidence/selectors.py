"""Reads of evidence files: the device page's « Justificatifs », a download, a staged log."""

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from .. import selectors as device_selectors
from ..models import Device, EvidenceFile, EvidenceKind

# A device gathers a few reports and logs per cycle; the page shows the latest ones.
EVIDENCE_ON_PAGE = 50


def evidence_for_device(device: Device, *, limit: int = EVIDENCE_ON_PAGE) -> list[EvidenceFile]:
    return list(
        EvidenceFile.objects.kept()
        .filter(device=device)
        .select_related("uploaded_by")
        .order_by("-id")[:limit]
    )


def evidence_for_download(user, code: str, pk: int) -> EvidenceFile:
    """A kept evidence file of a device the user may see (a staged one only for the person
    who uploaded it), else 404: another organisation's file is not disclosed."""
    device = device_selectors.device_for_page(user, code)
    evidence = (
        EvidenceFile.objects.filter(device=device, pk=pk)
        .filter(Q(staged_until__isnull=True) | Q(uploaded_by=user))
        .first()
    )
    if evidence is None:
        raise Http404
    return evidence


def staged_log_for(user, device: Device, pk: int) -> EvidenceFile:
    """The erasure log this user staged for this device and has not confirmed, else 404."""
    evidence = EvidenceFile.objects.filter(
        pk=pk,
        device=device,
        kind=EvidenceKind.ERASURE_LOG,
        uploaded_by=user,
        staged_until__gt=timezone.now(),
    ).first()
    if evidence is None:
        raise Http404
    return evidence
