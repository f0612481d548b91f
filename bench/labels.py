"""Label sheets: ``labels_1000_pdf_s`` and ``labels_vs_floor_ratio``.

- ``labels_1000_pdf_s``: 1,000 labels on Avery L7160 through the application path the
  background job runs (``parc.labels.sheets.render_labels_pdf``: QR codes, template, WeasyPrint
  layout in groups with progress reports, one PDF).
- ``labels_vs_floor_ratio``: that time divided by the floor, the time a bare WeasyPrint call
  takes to render the same QR SVGs (made beforehand, not timed) and the same text from a
  minimal hand-written HTML page. Measured in the same run, alternating, median of the rounds.
  Target: 1.5 or less.

The devices are unsaved model instances: no database is needed.

Standalone: ``python -m bench.labels`` (dev settings) prints the figures as JSON.
Environment: BENCH_LABELS (default 1000), BENCH_LABEL_ROUNDS (default 3), BENCH_SEED (42).
From bench/run.py: ``bench.labels.measure()`` returns the figures, keyed by metric name.
"""

import json
import os
import random
import statistics
import time
from html import escape

KINDS = ["laptop", "laptop", "laptop", "desktop", "screen", "tablet", "smartphone"]
MODELS = [
    ("Dell", "Latitude E5470"),
    ("Lenovo", "ThinkPad T460"),
    ("HP", "EliteBook 840 G3"),
    ("Apple", "iPad Air 2"),
    ("Samsung", "Galaxy A52"),
    ("Fujitsu", "Esprimo P757"),
    ("Iiyama", "ProLite E2483HS"),
]


def build_devices(count: int, *, seed: int = 42) -> list:
    """``count`` unsaved devices of two organisations, with plausible kinds and models."""
    from acteurs.models import Organisation
    from parc.codes import generate_code
    from parc.models import Device

    rng = random.Random(seed)
    owners = [
        Organisation(name="Recyclerie du Perche", short_name="Recyclerie du Perche"),
        Organisation(name="Atelier numérique de Dreux", short_name="AND 28"),
    ]
    devices = []
    for _ in range(count):
        brand, model = rng.choice(MODELS)
        devices.append(
            Device(
                public_code=generate_code(),
                kind=rng.choice(KINDS),
                brand=brand,
                model=model,
                owner=rng.choice(owners),
            )
        )
    return devices


def floor_html(labels, svgs: dict[str, str], layout) -> str:
    """The same QR codes and text, positioned by hand, with no template engine around them."""
    head = (
        "<html><head><style>"
        f"@page{{size:{layout.page_width}mm {layout.page_height}mm;margin:0}}"
        f'body{{margin:0;font:{layout.text_pt}pt/1.2 "DejaVu Sans Condensed"}}'
        ".s{position:relative;height:297mm;overflow:hidden;break-after:page}"
        f".l{{position:absolute;width:{layout.label_width}mm;height:{layout.label_height}mm}}"
        f".l svg{{position:absolute;left:{layout.padding}mm;top:{layout.qr_top}mm;"
        f"width:{layout.qr_size}mm;height:{layout.qr_size}mm}}"
        f".t{{position:absolute;left:{layout.text_left}mm;top:{layout.qr_top}mm;"
        f"width:{layout.text_width}mm}}"
        f'b{{display:block;font:bold {layout.code_pt}pt "DejaVu Sans Mono"}}'
        "</style></head><body>"
    )
    parts = [head]
    per_sheet = layout.cells_per_sheet
    for first in range(0, len(labels), per_sheet):
        parts.append('<div class="s">')
        for index, label in enumerate(labels[first : first + per_sheet]):
            left, top = layout.cell_position(index)
            parts.append(
                f'<div class="l" style="left:{left}mm;top:{top}mm">{svgs[label.url]}'
                f'<div class="t"><b>{label.code}</b>{escape(label.kind)}<br>'
                f"{escape(label.brand_model)}<br><strong>{escape(label.organisation)}</strong>"
                "</div></div>"
            )
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def _time(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(count: int | None = None, *, rounds: int | None = None, seed: int | None = None):
    """Both label metrics, as {metric: {"value": ..., "unit": ..., details}}."""
    from weasyprint import HTML

    from documents.qr import qr_svg_compact
    from parc.labels.layouts import LAYOUTS
    from parc.labels.sheets import label_for, render_labels_pdf

    count = count or int(os.environ.get("BENCH_LABELS", 1000))
    rounds = rounds or int(os.environ.get("BENCH_LABEL_ROUNDS", 3))
    seed = int(os.environ.get("BENCH_SEED", 42)) if seed is None else seed
    layout = LAYOUTS["L7160"]
    devices = build_devices(count, seed=seed)

    def application():
        labels = [label_for(device) for device in devices]
        return render_labels_pdf(labels, layout, progress=lambda done: None)

    labels = [label_for(device) for device in devices]
    qr_seconds, svgs = _time(lambda: {label.url: qr_svg_compact(label.url) for label in labels})
    html = floor_html(labels, svgs, layout)

    def floor():
        return HTML(string=html).write_pdf()

    # Warm-up: fonts, the QR layout tables, template loading.
    render_labels_pdf(labels[: layout.cells_per_sheet], layout)
    HTML(string=floor_html(labels[:3], svgs, layout)).write_pdf()

    app_times, floor_times = [], []
    pdf_bytes = 0
    for _round in range(rounds):
        seconds, pdf = _time(application)
        app_times.append(seconds)
        pdf_bytes = len(pdf)
        floor_times.append(_time(floor)[0])
    app = statistics.median(app_times)
    bare = statistics.median(floor_times)
    common = {
        "labels": count,
        "layout": layout.key,
        "sheets": -(-count // layout.cells_per_sheet),
        "rounds": rounds,
        "load_average": round(os.getloadavg()[0], 2),
    }
    return {
        "labels_1000_pdf_s": {
            "value": round(app, 2),
            "unit": "s",
            **common,
            "runs_s": [round(t, 2) for t in app_times],
            "qr_codes_s": round(qr_seconds, 2),
            "pdf_kb": round(pdf_bytes / 1024),
        },
        "labels_vs_floor_ratio": {
            "value": round(app / bare, 2),
            "unit": "ratio",
            **common,
            "floor_s": round(bare, 2),
            "floor_runs_s": [round(t, 2) for t in floor_times],
            "target": "<= 1.5",
            "meets_target": app / bare <= 1.5,
        },
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import logging

    import django

    django.setup()
    # WeasyPrint warns about nothing useful here; keep the JSON readable.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    print(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
