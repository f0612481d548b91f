"""The refusal of the import: a file that cannot be read or crosses a limit, a mapping that
lacks a column, an import that no longer applies. A ``core.errors.InvalidInput``: its
``message`` is French and safe to show, its ``code`` stable (``intake_refused`` unless a more
precise one is given)."""

from core.errors import InvalidInput


class IntakeError(InvalidInput):
    code = "intake_refused"
