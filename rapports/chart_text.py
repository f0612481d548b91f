"""Text measured for the charts drawn on the server (rapports.charts): an SVG cannot wrap or
shorten its own text, so a label that does not fit must be wrapped or shortened before it is
drawn, or it runs out of the picture (« n cours (diagnostic… »).

Widths are DejaVu Sans's advance widths (the PDFs' font, among the widest sans fonts a
browser may substitute), in thousandths of an em, read once from the font with fontTools and
kept here so the result does not depend on the fonts of the machine.
"""

# {advance width: the characters that have it}
_ADVANCES = {
    200: "\u202f",
    275: "'",
    278: "ijlìíîï",
    295: "IJÌÍÎÏ",
    318: " ,.\xa0·‘’",
    337: "/:;\\|¦",
    352: "f",
    361: "-\xad",
    390: "()[]",
    392: "t",
    401: "!¡²³¹",
    411: "r",
    460: '"',
    471: "ªº",
    500: "*_`§¨¯°´¸–",
    518: "“”",
    521: "s",
    525: "z",
    531: "?¿",
    550: "cç",
    557: "L",
    575: "F",
    579: "k",
    592: "vxyýÿ",
    603: "P",
    605: "Þ",
    611: "TYÝŸ",
    612: "o«»ðòóôõöø",
    613: "aàáâãäå",
    615: "eèéêë",
    630: "ß",
    632: "EÈÉÊË",
    634: "hnuñùúûü",
    635: "Sbdgpqþ",
    636: "$0123456789{}¢£¤¥µ¶€",
    656: "K",
    684: "AVÀÁÂÃÄÅ",
    685: "XZ",
    686: "B",
    695: "R",
    698: "CÇ",
    732: "UÙÚÛÜ",
    748: "NÑ",
    752: "H",
    770: "D",
    775: "GÐ",
    780: "&",
    787: "OQÒÓÔÕÖØ",
    818: "w",
    838: "#+<=>^~¬±×÷",
    863: "M",
    950: "%",
    969: "¼½¾",
    974: "mÆ",
    982: "æ",
    989: "W",
    1000: "@©®—…",
    1023: "œ",
    1070: "Œ",
}
_ADVANCE = {char: width for width, chars in _ADVANCES.items() for char in chars}
_UNKNOWN = 700  # a character outside the table: counted wide, so it never overflows
BOLD = 1.1  # DejaVu Sans Bold is about 10 % wider
ELLIPSIS = "…"


def text_width(text: str, size: float, *, weight: float = 1.0) -> float:
    """The width of ``text`` at ``size`` pixels, in pixels."""
    return sum(_ADVANCE.get(char, _UNKNOWN) for char in text) * size * weight / 1000


def shorten(text: str, width: float, size: float, *, weight: float = 1.0) -> str:
    """``text`` if it fits in ``width``, else its longest start that fits followed by "…"."""
    if text_width(text, size, weight=weight) <= width:
        return text
    room = width - text_width(ELLIPSIS, size, weight=weight)
    kept = ""
    for char in text:
        if text_width(kept + char, size, weight=weight) > room:
            break
        kept += char
    return kept.rstrip(" ,;:(–-") + ELLIPSIS


def wrap(text: str, width: float, size: float, *, lines: int = 2, weight: float = 1.0):
    """``text`` cut between words into at most ``lines`` lines that fit in ``width``; a word
    longer than a line, or what is left for the last line, is shortened with "…"."""
    result: list[str] = []
    words = text.split()
    while words and len(result) < lines:
        if len(result) == lines - 1:
            result.append(shorten(" ".join(words), width, size, weight=weight))
            break
        line = words.pop(0)
        while words and text_width(f"{line} {words[0]}", size, weight=weight) <= width:
            line = f"{line} {words.pop(0)}"
        result.append(shorten(line, width, size, weight=weight))
    return result
