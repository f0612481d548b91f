"""Label stock as data: sheet and label sizes, grid, margins and pitch, in millimetres.

Adding a format is one ``LabelLayout(...)`` entry in ``LAYOUTS``; the template's CSS, the
positions of the cells, the size of the QR code and of the type all follow from these numbers.
Avery figures are the manufacturer's (margins and pitch add up to the A4 page exactly).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# A point is 1/72 inch; DejaVu Sans Mono advances 0.602 em per character.
MM_PER_PT = 25.4 / 72
MONO_ADVANCE_EM = 0.602


@dataclass(frozen=True)
class LabelLayout:
    key: str
    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    top: float = 0.0
    left: float = 0.0
    pitch_x: float = 0.0  # from the left edge of a label to the left edge of the next one
    pitch_y: float = 0.0  # from the top edge of a label to the top edge of the one below
    # A roll (Brother QL, Dymo): one label per page, the printer cuts or peels each one.
    continuous: bool = False
    # Small labels keep the QR code and the code, and drop what does not fit.
    compact: bool = False
    padding: float = 2.0  # blank edge inside each label (printers and die-cutting drift)

    def __post_init__(self):
        if self.continuous and (self.columns, self.rows) != (1, 1):
            raise ValueError(f"{self.key}: a roll has one label per page")
        right = self.left + (self.columns - 1) * self.pitch_x + self.label_width
        bottom = self.top + (self.rows - 1) * self.pitch_y + self.label_height
        if right > self.page_width + 0.01 or bottom > self.page_height + 0.01:
            raise ValueError(f"{self.key}: the labels overflow the page")
        if self.columns > 1 and self.pitch_x < self.label_width:
            raise ValueError(f"{self.key}: the labels overlap")
        if self.rows > 1 and self.pitch_y < self.label_height:
            raise ValueError(f"{self.key}: the labels overlap")

    @property
    def cells_per_sheet(self) -> int:
        return self.columns * self.rows

    def cell_position(self, index: int) -> tuple[float, float]:
        """(left, top) in mm of cell ``index`` (0-based, left to right then top to bottom)."""
        if not 0 <= index < self.cells_per_sheet:
            raise IndexError(index)
        row, column = divmod(index, self.columns)
        return (
            round(self.left + column * self.pitch_x, 3),
            round(self.top + row * self.pitch_y, 3),
        )

    def cell_at(self, x: float, y: float) -> int | None:
        """The cell under the point (x, y) in mm, or None (between labels or off the grid)."""
        for index in range(self.cells_per_sheet):
            left, top = self.cell_position(index)
            if left <= x <= left + self.label_width and top <= y <= top + self.label_height:
                return index
        return None

    # --- what goes inside a label

    @property
    def qr_size(self) -> float:
        """Side of the QR code (quiet zone included): the label's height, at most half its width."""
        return round(min(self.label_height - 2 * self.padding, self.label_width / 2), 2)

    @property
    def gap(self) -> float:
        return round(self.padding / 2, 2)

    @property
    def qr_top(self) -> float:
        """The QR code is centred vertically."""
        return round((self.label_height - self.qr_size) / 2, 2)

    @property
    def text_left(self) -> float:
        return round(self.padding + self.qr_size + self.gap, 2)

    @property
    def text_width(self) -> float:
        return round(self.label_width - self.padding - self.text_left, 2)

    def _fit_pt(self, characters: int, largest: float) -> float:
        """The largest monospaced size (pt) that fits ``characters`` in the text column."""
        fitting = self.text_width / (characters * MONO_ADVANCE_EM * MM_PER_PT)
        return round(min(largest, fitting * 0.97), 1)

    @property
    def code_pt(self) -> float:
        # Compact labels print "FIL-" on its own line and the seven symbols below it, larger.
        return self._fit_pt(7, 12) if self.compact else self._fit_pt(11, 16)

    @property
    def text_pt(self) -> float:
        return round(min(8.0, max(5.5, self.label_height / 5)), 1)


LAYOUTS: dict[str, LabelLayout] = {
    layout.key: layout
    for layout in (
        LabelLayout(
            key="L7160",
            name=_("Avery L7160 – planche A4 de 21 étiquettes (63,5 × 38,1 mm)"),
            page_width=210,
            page_height=297,
            label_width=63.5,
            label_height=38.1,
            columns=3,
            rows=7,
            top=15.15,
            left=7.25,
            pitch_x=66.0,
            pitch_y=38.1,
        ),
        LabelLayout(
            key="L7163",
            name=_("Avery L7163 – planche A4 de 14 étiquettes (99,1 × 38,1 mm)"),
            page_width=210,
            page_height=297,
            label_width=99.1,
            label_height=38.1,
            columns=2,
            rows=7,
            top=15.15,
            left=4.65,
            pitch_x=101.6,
            pitch_y=38.1,
        ),
        LabelLayout(
            key="L7651",
            name=_("Avery L7651 – planche A4 de 65 étiquettes (38,1 × 21,2 mm)"),
            page_width=210,
            page_height=297,
            label_width=38.1,
            label_height=21.2,
            columns=5,
            rows=13,
            top=10.7,
            left=4.75,
            pitch_x=40.6,
            pitch_y=21.2,
            compact=True,
            padding=1.2,
        ),
        LabelLayout(
            key="QL62",
            name=_("Brother QL – rouleau continu 62 mm (étiquettes de 62 × 29 mm)"),
            page_width=62,
            page_height=29,
            label_width=62,
            label_height=29,
            continuous=True,
        ),
        LabelLayout(
            key="DYMO99012",
            name=_("Dymo 99012 – rouleau d'étiquettes de 89 × 36 mm"),
            page_width=89,
            page_height=36,
            label_width=89,
            label_height=36,
            continuous=True,
        ),
    )
}

DEFAULT_LAYOUT = "L7160"
