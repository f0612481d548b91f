"""The gisement report as files: CSV (figures; the annex streamed on its own), XLSX (one sheet
per section, the annex bounded), PDF (WeasyPrint; the annex bounded, or whole in the
background: rapports.services). Every text cell goes through ``documents.spreadsheets``
so a value starting with = + - @ is never run as a formula.

Funders read these files: they carry no personal data (households appear as counts only,
counts under 5 as "< 5"; the annex's erasure operators as pseudonymous references, named
only to their own organisation's team and the coordination: ``selectors.annex``).
"""

import io
from collections.abc import Iterator

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.spreadsheets import csv_lines, neutralise

from . import charts, disclosure
from .selectors import ANNEX_COLUMNS, GisementReport, Period, ReportSubject, annex_rows

PDF_ANNEX_LIMIT = 300  # rows of the annex printed in the PDF built on the spot
BACKGROUND_ANNEX_LIMIT = 20_000  # rows of the annex a background PDF may hold (~700 pages)
XLSX_ANNEX_LIMIT = 100_000


def period_text(period: Period) -> str:
    if period.start and period.end:
        return _("dons reçus du %(start)s au %(end)s") % {
            "start": date_format(period.start, "d/m/Y"),
            "end": date_format(period.end, "d/m/Y"),
        }
    if period.start:
        return _("dons reçus depuis le %(start)s") % {"start": date_format(period.start, "d/m/Y")}
    if period.end:
        return _("dons reçus jusqu'au %(end)s") % {"end": date_format(period.end, "d/m/Y")}
    return _("tous les dons, depuis le début")


def filename(subject: ReportSubject, period: Period, extension: str, suffix: str = "") -> str:
    parts = ["rapport", subject.kind, str(subject.pk)]
    if period.start:
        parts.append(period.start.isoformat())
    if period.end:
        parts.append(period.end.isoformat())
    if suffix:
        parts.append(suffix)
    return "-".join(parts) + f".{extension}"


def summary_rows(report: GisementReport) -> Iterator[list]:
    """The report's figures as rows: section, item, detail, value, percentage."""
    s = report.subject
    yield [_("section"), _("libellé"), _("détail"), _("valeur"), _("pourcentage")]
    yield [_("rapport"), s.kind_label, s.title, "", ""]
    yield [_("rapport"), _("donateur"), s.donor, "", ""]
    yield [_("rapport"), _("structure de reconditionnement"), s.refurbishers, "", ""]
    yield [_("rapport"), _("période"), period_text(report.period), "", ""]
    yield [
        _("rapport"),
        _("situation au"),
        timezone.localtime(report.generated_at).strftime("%d/%m/%Y %H:%M"),
        "",
        "",
    ]
    yield [_("réception"), _("dons"), "", report.donations, ""]
    yield [_("réception"), _("appareils reçus"), "", report.devices, ""]
    yield [
        _("réception"),
        _("poids pesé à la réception (kg)"),
        _("%(n)s don(s) pesé(s)") % {"n": report.weighed_donations},
        report.weighed_kg if report.weighed_kg is not None else "",
        "",
    ]
    for row in report.by_kind:
        yield [_("appareils reçus par type"), row.label, "", row.count, ""]
        yield [
            _("poids estimé par type (kg)"),
            row.label,
            _("masse forfaitaire"),
            row.estimated_weight_kg if row.estimated_weight_kg is not None else "",
            "",
        ]
    for row in report.outcomes:
        yield [
            _("devenir"),
            row.label,
            "",
            row.count,
            row.percent if row.percent is not None else "",
        ]
    yield [_("effacement"), _("supports de stockage"), "", report.media_total, ""]
    yield [_("effacement"), _("supports effacés"), "", report.media_erased, ""]
    yield [_("effacement"), _("supports détruits"), "", report.media_destroyed, ""]
    yield [_("effacement"), _("supports en attente d'effacement"), "", report.media_pending, ""]
    for row in report.erasures:
        yield [
            _("effacements par niveau et méthode"),
            f"{row.level_label} — {row.method_label}",
            row.result_label,
            row.records,
            "",
        ]
    for row in report.failures:
        yield [_("échecs d'effacement : suite donnée"), row.label, "", row.count, ""]
    households = disclosure.gisement_households(report)
    yield [_("foyers équipés"), _("total"), "", _cell_text(households.total), ""]
    for label, shown in report.households_by_category:
        yield [_("foyers équipés par public"), label, "", shown, ""]
    for epci in households.territories:
        yield [_("foyers équipés par EPCI"), epci.name, "", _cell_text(epci.shown), ""]
        for name, shown in epci.communes:
            yield [_("foyers équipés par commune"), name, epci.name, _cell_text(shown), ""]
    if households.secondary:
        yield [_("secret statistique"), str(disclosure.SECONDARY_LEGEND), "", "", ""]
    yield [
        _("formation"),
        _("foyers ayant suivi au moins une séance"),
        "",
        report.trained_shown,
        "",
    ]
    for row in report.training:
        yield [
            _("formation par atelier"),
            row.workshop_type,
            _("foyers"),
            _small(row.households),
            "",
        ]
    for row in report.progress:
        hidden = row.households < 5
        yield [
            _("autonomie (niveau moyen 1 à 3)"),
            row.label,
            _("avant → après"),
            "" if hidden or row.before is None else f"{row.before} → {row.after}",
            "",
        ]
    for row in report.co2_rows:
        yield [
            _("CO2e évité (kg)"),
            row.label,
            _("%(n)s appareil(s) × %(f)s kg") % {"n": row.devices, "f": row.factor_kg or "—"},
            row.avoided_kg if row.avoided_kg is not None else _("pas de facteur"),
            "",
        ]
    yield from _economics_rows(report.economics)
    yield [_("CO2e évité (kg)"), _("total"), report.factors.version, report.co2_total_kg, ""]
    yield [_("facteurs CO2e"), _("source"), str(report.factors.source), "", ""]
    for assumption in report.factors.assumptions:
        yield [_("facteurs CO2e"), _("hypothèse"), str(assumption), "", ""]
    yield [_("poids estimé"), _("source"), str(report.factors.weight_source), "", ""]


def _economics_rows(e):
    """The economics of the report's devices (aggregates; revenue hidden under five
    payments, and the coverage with it)."""
    if e is None:
        return
    label = _("modèle économique")
    hidden = str(_("masqué"))
    yield [label, _("appareils rendus disponibles"), "", e.ready, ""]
    yield [label, _("coût (€)"), _("travail, pièces, logistique"), e.cost, ""]
    yield [label, _("coût par appareil rendu disponible (€)"), "", e.cost_per_ready or "", ""]
    yield [
        label,
        _("recettes (€)"),
        _("ventes, frais de prêt, cautions conservées"),
        hidden if e.revenue_hidden else e.revenue,
        "",
    ]
    yield [
        label,
        _("financements du gisement (€)"),
        "",
        "" if e.funding is None else e.funding,
        "",
    ]
    yield [
        label,
        _("taux de couverture (%)"),
        "",
        "" if e.coverage is None else e.coverage,
        "",
    ]


def _cell_text(value):
    """A figure for a file: the number, or the text of a hidden one ("< 5", "masqué")."""
    return str(value) if isinstance(value, disclosure.Hidden) else value


def _small(count):
    from .selectors import small

    return small(count)


def report_csv(report: GisementReport) -> Iterator[str]:
    return csv_lines(summary_rows(report))


def annex_header() -> list[str]:
    return [str(label) for _name, label in ANNEX_COLUMNS]


def annex_csv(subject: ReportSubject, period: Period) -> Iterator[str]:
    """The whole annex, streamed: read by chunks, never held in memory."""

    def rows():
        yield annex_header()
        for row in annex_rows(subject, period):
            yield [row[name] for name, _label in ANNEX_COLUMNS]

    return csv_lines(rows())


def report_xlsx(report: GisementReport, *, with_annex: bool = True) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Synthèse"))
    for row in summary_rows(report):
        sheet.append([_cell(value) for value in row])
    if not with_annex:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    annex = workbook.create_sheet(_("Annexe effacements"))
    annex.append(annex_header())
    written = 0
    for row in annex_rows(report.subject, report.period, limit=XLSX_ANNEX_LIMIT):
        annex.append([_cell(row[name]) for name, _label in ANNEX_COLUMNS])
        written += 1
    if report.annex_total > written:
        annex.append(
            [
                _(
                    "Annexe limitée aux %(n)s premières lignes sur %(total)s : le fichier CSV "
                    "de l'annexe contient toutes les lignes."
                )
                % {"n": written, "total": report.annex_total}
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, int | float) or value is None:
        return value
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    return neutralise(value)


def pdf_context(report: GisementReport, *, annex_limit: int, with_annex: bool = True) -> dict:
    return {
        "report": report,
        "period_text": period_text(report.period),
        "chart": charts.bar_chart(_("Devenir des appareils reçus"), report.outcome_chart),
        "annex": list(annex_rows(report.subject, report.period, limit=annex_limit))
        if with_annex
        else [],
        "annex_limit": annex_limit,
        "annex_columns": ANNEX_COLUMNS,
        "with_annex": with_annex,
    }


def report_pdf(report: GisementReport, *, with_annex: bool = True) -> bytes:
    from documents.rendering import render_pdf

    return render_pdf(
        "rapports/pdf/gisement_report.html",
        pdf_context(report, annex_limit=PDF_ANNEX_LIMIT, with_annex=with_annex),
    )
