"""Models with a lifecycle: a django-fsm-2 state saved only together with its event row.

``StatefulModel`` is the base of the four machines (device, donation, request, loan). A
subclass declares its ``state = FSMField(..., protected=True)`` and its event model:

    class Donation(StatefulModel):
        EVENT_MODEL = "dons.DonationEvent"   # an ``core.events.Event`` subclass
        EVENT_SUBJECT = "donation"           # its foreign key to this model

``save()`` refuses a changed state unless the change is saved by ``save_transition()``, which
writes the row and appends the event in the caller's transaction. ``core.transitions.run``
is the one path that calls it (lock, expected state, access, permission, conditions).
"""

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin


class StateChangeWithoutEvent(RuntimeError):
    """A state was changed and saved without its event row: go through the app's services."""


class StatefulModel(ConcurrentTransitionMixin, models.Model):
    EVENT_MODEL: str = ""
    EVENT_SUBJECT: str = ""

    state_changed_at = models.DateTimeField(_("état depuis le"), default=timezone.now)

    class Meta:
        abstract = True

    # --- guard: a state change is saved only together with its event

    def save(self, *args, **kwargs):
        saved_state = getattr(self, "_saved_state", None)
        if (
            saved_state is not None
            and saved_state != self.state
            and not getattr(self, "_saving_transition", False)
        ):
            raise StateChangeWithoutEvent(
                f"{self._meta.label}: state changes go through the services (event log)."
            )
        super().save(*args, **kwargs)
        self._saved_state = self.state

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_state = instance.__dict__.get("state")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # django-fsm-2 switches the state field's protection off for the whole process while it
        # reloads, so a second thread can then assign a state freely (or fail to reload): free
        # this instance's own slot instead, which the protection lets Django fill again. Any
        # reload may bring the state back (loading one deferred column loads it too, for the
        # optimistic lock); when it does not, the value the instance had is put back.
        had_state = "state" in self.__dict__
        previous = self.__dict__.pop("state", None)
        try:
            models.Model.refresh_from_db(
                self, using=using, fields=fields, from_queryset=from_queryset
            )
        finally:
            if had_state and "state" not in self.__dict__:
                self.__dict__["state"] = previous
        self._update_initial_state()
        self._saved_state = self.__dict__.get("state")

    @classmethod
    def event_model(cls):
        return apps.get_model(cls.EVENT_MODEL)

    def save_transition(
        self,
        *,
        action: str,
        source: str,
        actor,
        note: str = "",
        data: dict | None = None,
        changed=None,
    ):
        """Save the row and append its event. Callers hold a transaction.

        ``changed``: the other columns the transition changed, if the caller knows them; the
        update then writes only those, the state and its date (otherwise every column).
        """
        self.state_changed_at = timezone.now()
        self._saving_transition = True
        try:
            if changed is None:
                self.save()
            else:
                self.save(update_fields=sorted({*changed, "state", "state_changed_at"}))
        finally:
            self._saving_transition = False
        return self.event_model().objects.create(
            **{self.EVENT_SUBJECT: self},
            action=action,
            source_state=source,
            target_state=self.state,
            actor=actor,
            note=note,
            data=data or {},
        )

    def record_event(self, action: str, actor, *, note: str = "", data: dict | None = None):
        """An event that does not change the state (an edit, a move, a document)."""
        return self.event_model().objects.create(
            **{self.EVENT_SUBJECT: self},
            action=action,
            source_state=self.state,
            target_state=self.state,
            actor=actor,
            note=note,
            data=data or {},
        )
