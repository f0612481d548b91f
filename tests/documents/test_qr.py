"""documents.qr: the same symbols as the qrcode library, as a compact SVG path."""

import random
import re
import string

import pytest
import qrcode

from documents.qr import qr_rows, qr_svg_compact


def reference_rows(data: str) -> tuple[int, list[int]]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make()
    return len(qr.modules), [int("".join("1" if m else "0" for m in row), 2) for row in qr.modules]


def samples():
    rng = random.Random(20261123)
    alphabet = string.ascii_letters + string.digits + "/:.-_?=&é"
    for length in (1, 5, 17, 36, 52, 80, 120, 200, 330):
        for _ in range(12):
            yield "".join(rng.choice(alphabet) for _ in range(length))
    for _ in range(40):
        body = "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(7))
        yield f"https://filiere.example.fr/e/FIL-{body}/"
    yield "0123456789" * 12  # numeric mode
    yield "HTTP://EXAMPLE.FR/E/FIL-7K3QX9A/"  # alphanumeric mode


def test_same_matrix_as_qrcode_for_every_version_and_mask():
    versions = set()
    for data in samples():
        expected = reference_rows(data)
        assert qr_rows(data) == expected, data
        versions.add((expected[0] - 17) // 4)
    # The samples cover small and large versions, including those with version information.
    assert {1, 3, 7} <= versions and max(versions) >= 10


def test_svg_draws_one_stroke_per_dark_run_with_a_quiet_zone():
    size, rows = qr_rows("https://filiere.example.fr/e/FIL-7K3QX9A/")
    svg = qr_svg_compact("https://filiere.example.fr/e/FIL-7K3QX9A/", border=4)
    assert f'viewBox="0 0 {size + 8} {size + 8}"' in svg
    runs = sum(len(re.findall("1+", format(row, f"0{size}b"))) for row in rows)
    segments = re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg)
    assert len(segments) == runs
    assert min(int(x) for x, _y, _w in segments) == 4
    assert min(int(y) for _x, y, _w in segments) == 4


def test_empty_data_as_qrcode_does_it():
    assert qr_rows("") == reference_rows("")


def test_too_much_data_is_refused_as_qrcode_refuses_it():
    with pytest.raises(ValueError) as expected:
        reference_rows("x" * 3000)
    with pytest.raises(type(expected.value)):
        qr_rows("x" * 3000)
