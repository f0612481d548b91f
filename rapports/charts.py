"""Charts drawn on the server as inline SVG: no JavaScript library, the same drawing on the
page and in the PDF. Every chart repeats a table that holds the same figures (for screen
readers and for copying), so the SVG is an image with a title, not the only source."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .chart_text import BOLD, shorten, text_width, wrap

BAR_COLOURS = ("#1d4e89", "#2a7f62", "#7a4ea3", "#b85c00", "#3d6b9e", "#6b7d2a")


def bar_chart(
    title: str, rows: list[tuple[str, int]], *, width: int = 440, font_size: int = 13
) -> str:
    """Horizontal bars, one per (label, value): the label above its bar, wrapped on two lines
    at most (measured, never cut by the picture's edge), the value at the bar's end. Drawn at
    its natural width (``width`` pixels; 116 mm in a PDF): a browser shrinks it to a narrow
    screen, where a label beside its bar would leave the bar no room."""
    rows = [(label, value) for label, value in rows if value]
    if not rows:
        return ""
    pad, bar_height, gap = 2, 16, 10
    line_height = round(font_size * 1.3)
    values = [_number(value) for _label, value in rows]
    value_room = max(text_width(text, font_size) for text in values) + 8
    bar_space = width - 2 * pad - value_room
    peak = max(value for _label, value in rows)
    parts = []
    y = 2
    for index, ((label, value), shown) in enumerate(zip(rows, values, strict=True)):
        for line in wrap(label, width - 2 * pad, font_size):
            y += line_height
            parts.append(
                f'<text x="{pad}" y="{y - 4}" font-size="{font_size}" fill="{INK}">'
                f"{escape(line)}</text>"
            )
        bar = max(2, round(bar_space * value / peak))
        colour = BAR_COLOURS[index % len(BAR_COLOURS)]
        parts.append(
            f'<rect x="{pad}" y="{y}" width="{bar}" height="{bar_height}" fill="{colour}"/>'
            f'<text x="{pad + bar + 6}" y="{y + bar_height - 3}" font-size="{font_size}" '
            f'fill="{INK}">{shown}</text>'
        )
        y += bar_height + gap
    height = y
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    return mark_safe(head + "".join(parts) + "</svg>")


# --- the dashboards' charts (templates/rapports/dashboards/) ---------------------------------
# Each has role="img", a <title> and a <desc> it is labelled by (ids from ``chart_id``), and
# writes its values as text next to the marks: colour never carries the meaning alone. The
# page prints the same figures in a table beside the chart.

INK = "#1b1b1f"
MUTED = "#53535c"
PRIMARY = "#00558c"  # 7.3:1 on white
SECONDARY = "#5b8fb9"  # 3.4:1 on white (WCAG 1.4.11 asks 3:1 for graphics)


def _number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    columns: list[tuple[str, int]],
    *,
    width: int = 360,
    height: int = 150,
) -> str:
    """Vertical bars (label under each, value above each non-zero bar), for a short series
    such as weekly counts. Labels are shown every other column when there are many."""
    if not columns:
        return ""
    top, bottom, side = 16, 20, 4
    plot = height - top - bottom
    slot = (width - 2 * side) / len(columns)
    bar = max(2.0, slot * 0.7)
    peak = max(value for _label, value in columns) or 1
    every = 1 if len(columns) <= 8 else 2
    parts = _open(chart_id, title, description, width, height)
    parts.append(
        f'<line x1="{side}" y1="{top + plot}" x2="{width - side}" y2="{top + plot}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    for index, (label, value) in enumerate(columns):
        x = side + index * slot + (slot - bar) / 2
        centre = x + bar / 2
        bar_height = round(plot * value / peak, 1)
        if value:
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot - bar_height:.1f}" width="{bar:.1f}" '
                f'height="{bar_height}" fill="{PRIMARY}"/>'
                f'<text x="{centre:.1f}" y="{top + plot - bar_height - 3:.1f}" '
                f'text-anchor="middle" font-size="10" fill="{INK}">{_number(value)}</text>'
            )
        if (len(columns) - 1 - index) % every == 0:
            shown = shorten(label, slot * every - 2, 10)
            parts.append(
                f'<text x="{centre:.1f}" y="{height - 5}" text-anchor="middle" font-size="10" '
                f'fill="{MUTED}">{escape(shown)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def paired_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: list[tuple[str, float | None, float | None]],
    *,
    first_label: str,
    second_label: str,
    unit: str,
    width: int = 360,
) -> str:
    """Two horizontal bars per row (e.g. median and 90th percentile), each followed by its
    value and a word saying which it is. Rows without a first value are left out."""
    rows = [row for row in rows if row[1] is not None]
    if not rows:
        return ""
    label_height, bar_height, gap = 16, 12, 10
    row_height = label_height + 2 * bar_height + 4 + gap
    height = row_height * len(rows) + 4
    value_room = 150
    plot = width - value_room - 8
    peak = max(max(first or 0, second or 0) for _label, first, second in rows) or 1
    parts = _open(chart_id, title, description, width, height)
    for index, (label, first, second) in enumerate(rows):
        y = 4 + index * row_height
        parts.append(
            f'<text x="4" y="{y + 12}" font-size="12" font-weight="600" fill="{INK}">'
            f"{escape(shorten(label, width - 8, 12, weight=BOLD))}</text>"
        )
        for offset, value, colour, word in (
            (0, first, PRIMARY, first_label),
            (1, second, SECONDARY, second_label),
        ):
            if value is None:
                continue
            bar_y = y + label_height + offset * (bar_height + 4)
            length = max(2, round(plot * value / peak))
            parts.append(
                f'<rect x="4" y="{bar_y}" width="{length}" height="{bar_height}" '
                f'fill="{colour}"/>'
                f'<text x="{length + 10}" y="{bar_y + 10}" font-size="11" fill="{INK}">'
                f"{escape(word)} {_number(value)} {escape(unit)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
