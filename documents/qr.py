"""QR codes as compact vector SVG, fast enough for sheets of a thousand labels.

The symbols are exactly those the ``qrcode`` library makes (same data segments, version, error
correction and mask; tests compare the matrices module by module). Two things differ, both
measured on label sheets (bench/labels.py):

- Choosing the mask. ``qrcode`` lays the symbol out eight times and scores each layout with
  nested Python loops (about 8 ms a code). Here the data bits are placed once; each mask is a
  XOR of per-row integers, scored with bit counts and regular expressions (under 1 ms).
- The SVG path. ``qrcode``'s path draws one square per dark module; this one draws one stroked
  segment per horizontal run of dark modules: about four times fewer path commands, and path
  commands are what WeasyPrint spends its time on when it draws a sheet.

No business rules here: text in, SVG out.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from qrcode import constants, util

ERROR_CORRECT_M = constants.ERROR_CORRECT_M

_RUNS_OF_FIVE = re.compile("0{5,}|1{5,}")
# 1:1:3:1:1 finder-like pattern with four light modules on one side (overlapping matches).
_FINDER_LIKE = re.compile("(?=10111010000|00001011101)")
_DARK_RUN = re.compile("1+")


@dataclass(frozen=True)
class _Layout:
    """Everything about a symbol that depends only on its version and error correction."""

    size: int
    # Per mask: the rows and columns of the symbol with no data, as qrcode scores it (format
    # and version areas light) and as it is printed (format and version information set).
    scored_rows: tuple[tuple[int, ...], ...]
    scored_columns: tuple[tuple[int, ...], ...]
    printed_rows: tuple[tuple[int, ...], ...]
    # Where each data bit goes, in placement order: (row, bit in the row, column, bit in the
    # column). Bit n-1-c of a row integer is column c, so format(row, "0nb") reads left to right.
    placement: tuple[tuple[int, int, int, int], ...]


def _as_bits(cells) -> int:
    value = 0
    for cell in cells:
        value = (value << 1) | bool(cell)
    return value


@lru_cache(maxsize=64)
def _layout(version: int, error_correction: int) -> _Layout:
    size = version * 4 + 17
    qr = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    qr.modules_count = size

    # The function patterns alone: the cells left empty are the data cells.
    qr.modules = [[None] * size for _ in range(size)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(size - 7, 0)
    qr.setup_position_probe_pattern(0, size - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(True, 0)
    if version >= 7:
        qr.setup_type_number(True)
    blank = qr.modules

    # The same zigzag as qrcode's map_data.
    placement = []
    row, step = size - 1, -1
    for column in range(size - 1, 0, -2):
        if column <= 6:
            column -= 1
        while True:
            for c in (column, column - 1):
                if blank[row][c] is None:
                    placement.append((row, 1 << (size - 1 - c), c, 1 << (size - 1 - row)))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break

    scored_rows, scored_columns, printed_rows = [], [], []
    for mask in range(8):
        for test, rows_out in ((True, scored_rows), (False, printed_rows)):
            # With no data every data cell holds its mask bit; XOR-ing the data in later
            # gives exactly what qrcode's map_data writes.
            qr.data_cache = []
            qr.makeImpl(test, mask)
            rows_out.append(tuple(_as_bits(line) for line in qr.modules))
            if test:
                scored_columns.append(
                    tuple(_as_bits(line[c] for line in qr.modules) for c in range(size))
                )
    return _Layout(
        size=size,
        scored_rows=tuple(scored_rows),
        scored_columns=tuple(scored_columns),
        printed_rows=tuple(printed_rows),
        placement=tuple(placement),
    )


def _penalty(rows, columns, size: int) -> int:
    """qrcode's lost_point (ISO/IEC 18004 mask scoring), on row and column integers."""
    pattern = f"0{size}b"
    text = " ".join(format(line, pattern) for line in (*rows, *columns))
    score = sum(len(run) - 2 for run in _RUNS_OF_FIVE.findall(text))
    score += 40 * len(_FINDER_LIKE.findall(text))
    full = (1 << size) - 1
    blocks = 0
    for upper, lower in zip(rows, rows[1:], strict=False):
        dark = upper & lower
        light = ~(upper | lower) & full
        blocks += (dark & (dark >> 1)).bit_count() + (light & (light >> 1)).bit_count()
    score += 3 * blocks
    dark_count = sum(line.bit_count() for line in rows)
    percent = float(dark_count) / (size**2)
    return score + int(abs(percent * 100 - 50) / 5) * 10


def qr_rows(data: str, *, error_correction: int = ERROR_CORRECT_M) -> tuple[int, list[int]]:
    """The symbol for ``data`` as (size, one integer per row; bit size-1-c is column c)."""
    qr = qrcode.QRCode(error_correction=error_correction, border=0)
    qr.add_data(data)
    version = qr.best_fit()
    codewords = util.create_data(version, error_correction, qr.data_list)
    layout = _layout(version, error_correction)
    size = layout.size

    data_rows = [0] * size
    data_columns = [0] * size
    bits = format(int.from_bytes(bytes(codewords), "big"), f"0{len(codewords) * 8}b")
    for (row, row_bit, column, column_bit), bit in zip(layout.placement, bits, strict=False):
        if bit == "1":
            data_rows[row] |= row_bit
            data_columns[column] |= column_bit

    best_mask, best_score = 0, None
    for mask in range(8):
        rows = [a ^ b for a, b in zip(layout.scored_rows[mask], data_rows, strict=True)]
        columns = [a ^ b for a, b in zip(layout.scored_columns[mask], data_columns, strict=True)]
        score = _penalty(rows, columns, size)
        if best_score is None or score < best_score:
            best_mask, best_score = mask, score
    printed = layout.printed_rows[best_mask]
    return size, [a ^ b for a, b in zip(printed, data_rows, strict=True)]


def qr_svg_compact(data: str, *, border: int = 2) -> str:
    """A QR code as an inline SVG: one stroked segment per horizontal run of dark modules.

    The SVG has a viewBox but no width or height: size it with CSS.
    """
    size, rows = qr_rows(data)
    pattern = f"0{size}b"
    commands = []
    for y, line in enumerate(rows):
        for run in _DARK_RUN.finditer(format(line, pattern)):
            commands.append(f"M{run.start() + border} {y + border}.5h{run.end() - run.start()}")
    side = size + 2 * border
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}">'
        f'<path fill="none" stroke="#000" d="{"".join(commands)}"/></svg>'
    )
