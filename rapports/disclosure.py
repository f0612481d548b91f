"""The statistical-secrecy rule of every page a funder may read: a count of people (or of
loans, which stand for people) from 1 to 4 is shown as "< 5" so no one can be recognised;
0 stays 0, as there is no one to recognise. Rates over fewer than 5 cases are not shown."""

SMALL_COUNT = 5


def small(count: int | None):
    """The count, or "< 5" for 1 to 4; None stays None."""
    if count is None:
        return None
    if 0 < count < SMALL_COUNT:
        return f"< {SMALL_COUNT}"
    return count
