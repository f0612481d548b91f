"""The one error type of the project.

Every refusal a user or a program can meet — a transition that does not apply, a role that
may not act, a row changed by someone else, a file that cannot be read — is an
``ApplicationError``: a French ``message`` safe to show as is, and a stable ``code`` that an
API client can rely on (``docs/ARCHITECTURE.md`` lists them). Views turn it into a message
(``core.views``), the API into ``{"code", "message"}`` with ``status``.

Subclasses only fix a default code and status; services raise them with a precise message
and, where it helps a program, a more precise code (``code="erasure_missing"``).
"""


class ApplicationError(Exception):
    """A refusal with a French message and a stable code."""

    code = "refused"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        # The form field or API attribute the refusal is about, when there is one.
        self.field = field

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        return data


class InvalidInput(ApplicationError):
    """What was sent cannot be used (a value out of range, a file that cannot be read)."""

    code = "invalid"
    status = 400


class NotFound(ApplicationError):
    """The object does not exist, or the user may not know that it does."""

    code = "not_found"
    status = 404


class NotPermitted(ApplicationError):
    """The user's role does not allow the action on an object they may see."""

    code = "not_permitted"
    status = 403


class Refused(ApplicationError):
    """The action does not apply to the object in its current state."""

    code = "refused"
    status = 409


class Changed(ApplicationError):
    """Someone else changed the object since the user saw it: reload before acting."""

    code = "changed"
    status = 409
