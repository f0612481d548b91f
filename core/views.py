"""Turning refusals into what a person sees.

Services raise ``core.errors.ApplicationError`` (or Django's ``ValidationError`` from a
model's ``full_clean``). Views call them through ``attempt``: on a refusal, the French
message goes to the user's messages and the view carries on (usually a redirect back).
``ApplicationErrorMiddleware`` catches the ones a view let through and answers with the
error page of their status, in the site's layout.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .errors import ApplicationError


def refusal_message(error: Exception) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    raise error


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: Exception | None = None

    def __bool__(self):
        return self.ok

    @property
    def message(self) -> str:
        return refusal_message(self.error) if self.error is not None else ""


def attempt(request, service, *args, success: str | None = None, **kwargs) -> Outcome:
    """Call ``service``; on a refusal, show its message and return a failed ``Outcome``."""
    try:
        value = service(*args, **kwargs)
    except (ApplicationError, ValidationError) as error:
        messages.error(request, refusal_message(error))
        return Outcome(False, error=error)
    if success:
        messages.success(request, success)
    return Outcome(True, value=value)


class ApplicationErrorMiddleware:
    """A refusal no view caught: the error page of its status with its French message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        return render(
            request,
            "errors/refused.html",
            {"message": exception.message, "code": exception.code},
            status=exception.status,
        )
