"""JSON read within limits: a hostile file is refused with a French message, never a
``RecursionError`` from the parser, a ``ValueError`` from ``int()`` (Python refuses integers
of more than 4,300 digits) or a parse that eats the server's memory.

The text is first scanned for its shape (nesting depth and number of values) with one
regular expression that skips string literals, so brackets inside strings do not count; only
a text within the limits reaches ``json.loads``, whose integers go through a length check.
"""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _

from core.errors import InvalidInput

# lshw nests about 12 levels on a laptop (system > core > pci > bridge > storage > disk >
# volume…); inxi and smartctl fewer than 6. 64 leaves room for a server and refuses a bomb.
MAX_DEPTH = 64
# Values (objects, arrays and the items between commas). A laptop's lshw report holds about
# 1,500, and a real report at the 5 MB limit about 300,000 (25 bytes a value); a flood of
# tiny values ("0,0,0…": 2.6 million in 5 MB) is refused.
MAX_ITEMS = 500_000
# No hardware figure needs more (a disk size in bytes has 15 digits).
MAX_INTEGER_DIGITS = 40

# A string literal (possessive: no backtracking on an unterminated one) or a structural
# character. Anything else (numbers, literals, spaces) is skipped by finditer.
_SHAPE_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{},]', re.S)


class JsonRefused(InvalidInput):
    """The text is not JSON this application will read; ``code`` says why."""


def check_shape(text: str) -> None:
    """Refuse a text nested deeper than ``MAX_DEPTH`` or holding more than ``MAX_ITEMS``
    values, before any parser recurses into it."""
    depth = 0
    items = 0
    for match in _SHAPE_TOKEN.finditer(text):
        char = match.group()[0]
        if char == "[" or char == "{":
            depth += 1
            items += 1
            if depth > MAX_DEPTH:
                raise JsonRefused(
                    _(
                        "Ce fichier imbrique ses données sur plus de %(max)s niveaux : ce n'est "
                        "pas un rapport matériel."
                    )
                    % {"max": MAX_DEPTH},
                    code="report_too_deep",
                )
        elif char == "]" or char == "}":
            depth -= 1
        elif char == ",":
            items += 1
        if items > MAX_ITEMS:
            raise JsonRefused(
                _("Ce fichier contient plus de %(max)s valeurs : ce n'est pas un rapport matériel.")
                % {"max": f"{MAX_ITEMS:,}".replace(",", "\u202f")},
                code="report_too_many_items",
            )


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonRefused(
            _(
                "Ce fichier contient un nombre de %(count)s chiffres : ce n'est pas un rapport "
                "matériel."
            )
            % {"count": len(digits.lstrip("-"))},
            code="report_number_too_long",
        )
    return int(digits)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_INTEGER_DIGITS * 2:
        raise JsonRefused(
            _("Ce fichier contient un nombre démesuré : ce n'est pas un rapport matériel."),
            code="report_number_too_long",
        )
    return float(text)


def loads(text: str):
    """``json.loads`` within the limits above; raises ``json.JSONDecodeError`` for text that
    is not JSON and ``JsonRefused`` for JSON out of bounds."""
    check_shape(text)
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except RecursionError:  # pragma: no cover - check_shape bounds the depth first
        raise JsonRefused(
            _("Ce fichier est trop imbriqué pour être lu."), code="report_too_deep"
        ) from None


def loads_many(text: str) -> list | None:
    """Several JSON values printed one after the other (``{…}{…}`` or one per line), within
    the same limits; None when the text is not that."""
    check_shape(text)
    decoder = json.JSONDecoder(parse_int=_bounded_int, parse_float=_bounded_float)
    values = []
    position = 0
    length = len(text)
    while position < length:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return None
        values.append(value)
    return values if len(values) > 1 else None
