"""What a hardware report did to a device, said in French for the technician: what it filled,
what was already there, what the report lacked and why it looks taken in a virtual machine.
The lines are kept in the device's history (the event's ``data["summary"]``), not only in a
message that vanishes with the next page."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .hardware import SCOPE_DISKS, SCOPE_SYSTEM, HardwareReport, MediumSpec

FIELD_LABELS = {
    "brand": gettext_lazy("marque"),
    "model": gettext_lazy("modèle"),
    "serial": gettext_lazy("numéro de série"),
    "cpu": gettext_lazy("processeur"),
    "ram_gb": gettext_lazy("mémoire vive"),
}


def french_number(value) -> str:
    """8 -> "8", Decimal("7.5") -> "7,5" (French decimal comma, no trailing zero)."""
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return text.replace(".", ",")


def disk_capacity(capacity_gb: int | None) -> str:
    """A disk's capacity as sold, in French units: 256 -> "256 Go", 1000 -> "1 To",
    1500 -> "1,5 To", 14001 -> "14 To"."""
    if not capacity_gb:
        return ""
    if capacity_gb < 1000:
        return f"{capacity_gb} Go"
    terabytes = Decimal(capacity_gb) / 1000
    return f"{french_number(terabytes.quantize(Decimal('0.1')))} To"


def _value(name: str, value) -> str:
    if name == "ram_gb":
        return f"{french_number(value)} Go"
    return str(value)


def medium_label(spec: MediumSpec) -> str:
    from ..models import MediaType

    parts = [str(MediaType(spec.media_type).label), spec.manufacturer, spec.model]
    capacity = disk_capacity(spec.capacity_gb)
    if capacity:
        parts.append(capacity)
    label = " ".join(part for part in parts if part)
    if spec.serial:
        label += " " + _("(n° %(serial)s)") % {"serial": spec.serial}
    return label


def hardware_summary(
    report: HardwareReport,
    *,
    filled: dict,
    kept: list[str],
    media_created: list[MediumSpec],
    media_known: list[MediumSpec],
) -> list[str]:
    """The summary, one French sentence per line, in the order a technician reads it."""
    from ..models import SmartStatus

    version = f" {report.tool_version}" if report.tool_version else ""
    lines = [_("Rapport %(tool)s lu.") % {"tool": f"{report.label}{version}"}]
    if filled:
        lines.append(
            _("Complété : %(fields)s.")
            % {
                "fields": ", ".join(
                    f"{FIELD_LABELS[name]} ({_value(name, value)})"
                    for name, value in filled.items()
                )
            }
        )
    if kept:
        lines.append(
            _("Déjà renseigné, gardé tel quel : %(fields)s.")
            % {"fields": ", ".join(str(FIELD_LABELS[name]) for name in kept)}
        )
    if media_created:
        lines.append(
            _("Supports ajoutés : %(media)s.")
            % {"media": " ; ".join(medium_label(spec) for spec in media_created)}
        )
    if media_known:
        lines.append(
            _("Supports déjà enregistrés : %(media)s.")
            % {"media": " ; ".join(medium_label(spec) for spec in media_known)}
        )
    failing = [spec for spec in report.media if spec.smart_status == SmartStatus.FAILED]
    if failing:
        lines.append(
            _("État SMART défaillant : %(media)s.")
            % {"media": " ; ".join(medium_label(spec) for spec in failing)}
        )
    missing = _missing(report)
    if missing:
        lines.append(_("Absent du rapport : %(fields)s.") % {"fields": ", ".join(missing)})
    if report.virtual:
        lines.append(
            _(
                "Ce rapport semble pris dans une machine virtuelle (%(reasons)s) : il ne décrit "
                "pas l'appareil donné."
            )
            % {"reasons": " ; ".join(report.virtual)}
        )
    lines.extend(report.warnings)
    return lines


def _missing(report: HardwareReport) -> list[str]:
    missing = []
    if report.scope != SCOPE_DISKS:
        specs = report.specs()
        missing += [str(FIELD_LABELS[name]) for name in FIELD_LABELS if specs[name] in ("", None)]
    if report.scope != SCOPE_SYSTEM and not report.media:
        missing.append(_("disque interne"))
    elif report.scope == SCOPE_SYSTEM:
        missing.append(_("disques (dmidecode ne les décrit pas)"))
    return missing
