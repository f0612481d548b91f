"""The kernel's own table: the audit trail of redactions in append-only histories.

Abstract bases live beside their logic: ``core.events.Event``, ``core.statemachine.
StatefulModel``, ``core.jobs.BackgroundJob``.
"""

from .events import Redaction

__all__ = ["Redaction"]
