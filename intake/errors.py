"""The one refusal of the import: a file that cannot be read, a mapping that lacks a column,
an import that no longer applies. Its ``message`` is French and safe to show."""


class IntakeError(Exception):
    """A file or an import refused; ``message`` is French and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
