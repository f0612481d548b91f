"""Public device codes: short, random, Crockford base32 with a check character.

``FIL-7K3QX9A``: six random symbols and one check symbol (Luhn mod 32, which catches every
single mistyped symbol and most swaps of two neighbours). Reading is forgiving: lower case,
O for 0, I or L for 1, spaces and a missing dash all resolve to the same code.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
PREFIX = "FIL"
BODY_LENGTH = 6
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_URL_TAIL = re.compile(r"/e/([^/?#]+)/?(?:[?#].*)?$")


class MistypedCode(ValueError):
    """The text looks like a code but its check symbol does not match: a typo."""


class NotACode(ValueError):
    """The text cannot be a Filière code at all."""


def check_symbol(body: str) -> str:
    """Luhn mod N over the Crockford alphabet."""
    factor = 2
    total = 0
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def generate_code() -> str:
    # One draw of 5 random bits per symbol (32 symbols): as uniform as secrets.choice, at a
    # fraction of its cost when an import draws thousands of codes.
    bits = secrets.randbits(5 * BODY_LENGTH)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(BODY_LENGTH))
    return f"{PREFIX}-{body}{check_symbol(body)}"


def normalize_code(raw: str) -> str:
    """Turn what a person or a scanner typed into the canonical code, or raise.

    Accepts a bare code or a full device URL (a scanner reading the QR code types the URL).
    """
    text = (raw or "").strip()
    match = _URL_TAIL.search(text)
    if match:
        text = match.group(1)
    text = re.sub(r"[\s\-_.]", "", text.upper()).translate(_READ_AS)
    if text.startswith(PREFIX.translate(_READ_AS)) or text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    if len(text) != BODY_LENGTH + 1 or any(symbol not in _VALUE for symbol in text):
        raise NotACode(raw)
    body, check = text[:-1], text[-1]
    if check_symbol(body) != check:
        raise MistypedCode(raw)
    return f"{PREFIX}-{body}{check}"
