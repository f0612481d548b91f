"""The one transition engine of the four state machines.

Every transition of a device, a donation, a request or a loan runs through ``Machine.run``:

1. open a transaction and lock the row (``select_for_update``, with the related rows the
   transition's conditions read, fetched once);
2. compare the state the user saw (``expected_state``) with the locked row → ``Changed``;
3. check the transition exists from this state → ``Refused``;
4. check the actor may act on this object at all (the machine's ``check_access``) and that
   the transition's own ``permission`` allows them → ``NotPermitted`` — or, when the
   permission holds but a condition fails, ``Refused`` with the machine's explanation;
5. run the transition method, save the row with its event (``save_transition``);
6. register the machine's after-commit side effects (e-mails, webhooks) with the event.

A machine is declared once per model in its app (``parc.transitions.DEVICE``...), with the
French words that name its objects in messages.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm

from .errors import Changed, NotFound, NotPermitted, Refused


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    label: str
    form_kind: str | None
    sources: frozenset
    target: str


@dataclass
class Machine:
    """One state machine: its model, how to name its objects, who may touch them."""

    model: type
    # "l'appareil FIL-…", "le don n° 3": the subject of the French messages.
    describe: Callable[[object], str]
    # Raises NotFound/NotPermitted when the actor may not act on this object at all.
    check_access: Callable[[object, object], None] | None = None
    # Why the conditions of a transition fail, in French (default: a generic sentence).
    explain: Callable[[object, str], str] | None = None
    # Related rows the conditions read, per transition name (prefetched with the lock).
    prefetch: dict[str, tuple] = field(default_factory=dict)
    # Rows joined to the locked one (read, not locked: ``FOR UPDATE OF`` the row alone).
    select_related: tuple = ()
    # Called with each event after the transaction commits (notifications, webhooks).
    after_commit: list[Callable[[object], None]] = field(default_factory=list)
    # Write only the columns the transition changed (besides the state), not the whole row.
    track_columns: bool = True
    # Run the model's full_clean() after the transition method (field rules hold whoever calls).
    validate: bool = False

    def __post_init__(self):
        self._transitions = None
        self._columns = None

    # --- what the machine offers

    @property
    def transitions(self) -> dict[str, TransitionInfo]:
        if self._transitions is None:
            infos: dict[str, dict] = {}
            for t in self.model._meta.get_field("state").get_all_transitions(self.model):
                info = infos.setdefault(
                    t.name,
                    {
                        "label": str(t.custom.get("label", t.name)),
                        "form_kind": t.custom.get("form_kind"),
                        "sources": set(),
                        "target": t.target,
                    },
                )
                info["sources"].add(t.source)
            self._transitions = {
                name: TransitionInfo(
                    name, i["label"], i["form_kind"], frozenset(i["sources"]), i["target"]
                )
                for name, i in infos.items()
            }
        return self._transitions

    def state_label(self, state: str) -> str:
        choices = dict(self.model._meta.get_field("state").choices)
        return str(choices.get(state, state))

    def available(self, obj, actor) -> list[TransitionInfo]:
        """Transitions the actor may run on the object now (permission and conditions)."""
        return [
            info
            for info in self.transitions.values()
            if (obj.state in info.sources or "*" in info.sources)
            and has_transition_perm(getattr(obj, info.name), actor)
        ]

    # --- running one

    def lock(self, pk, *, prefetch: Iterable = ()):
        """The row, locked until the end of the transaction (only that row: locking a joined
        organisation or gisement too would queue every transition behind one another)."""
        rows = self.model.objects.select_for_update(of=("self",))
        if self.select_related:
            rows = rows.select_related(*self.select_related)
        try:
            return rows.prefetch_related(*prefetch).get(pk=pk)
        except self.model.DoesNotExist:
            raise NotFound(
                _("%(subject)s introuvable.")
                % {"subject": _capitalised(str(self.model._meta.verbose_name))}
            ) from None

    def check_expected_state(self, obj, expected_state: str | None) -> None:
        if expected_state and obj.state != expected_state:
            raise Changed(
                _(
                    "%(subject)s a changé entre-temps (état actuel : « %(state)s »). "
                    "Rechargez la page avant d'agir."
                )
                % {
                    "subject": _capitalised(self.describe(obj)),
                    "state": self.state_label(obj.state),
                }
            )

    def run(
        self,
        pk,
        name: str,
        actor,
        *,
        expected_state: str | None = None,
        note: str = "",
        data: dict | None = None,
        **kwargs,
    ):
        """Run transition ``name`` on the row ``pk`` atomically; returns its event."""
        info = self.transitions.get(name)
        if info is None:
            raise Refused(_("Action inconnue."), code="unknown_transition")
        with transaction.atomic():
            obj = self.lock(pk, prefetch=self.prefetch.get(name, ()))
            self.check_expected_state(obj, expected_state)
            return self.run_locked(obj, name, actor, note=note, data=data, **kwargs)

    def run_locked(self, obj, name: str, actor, *, note: str = "", data=None, **kwargs):
        """The transition on a row the caller locked in its transaction."""
        info = self.transitions.get(name)
        if info is None:
            raise Refused(_("Action inconnue."), code="unknown_transition")
        if self.check_access is not None:
            # First: someone who may not touch the object learns nothing of its state.
            self.check_access(obj, actor)
        if obj.state not in info.sources and "*" not in info.sources:
            raise Refused(
                _("Action « %(action)s » impossible : %(subject)s est « %(state)s ».")
                % {
                    "action": info.label,
                    "subject": self.describe(obj),
                    "state": self.state_label(obj.state),
                },
                code="transition_not_allowed",
            )
        method = getattr(obj, name)
        if not has_transition_perm(method, actor):
            # has_transition_perm is also false when a condition fails: tell which.
            if method._django_fsm.conditions_met(obj, obj.state):
                raise NotPermitted(
                    _("Votre rôle ne permet pas l'action « %(action)s ».") % {"action": info.label}
                )
            raise Refused(self._explain(obj, name), code="conditions_not_met")
        source = obj.state
        before = self._column_values(obj)
        try:
            method(**kwargs)
            if self.validate:
                obj.full_clean(exclude=["state"])
            changed = [c for c, value in self._column_values(obj).items() if before[c] != value]
            event = obj.save_transition(
                action=name,
                source=source,
                actor=actor,
                note=note,
                data=data,
                changed=changed if self.track_columns else None,
            )
        except TransitionNotAllowed:
            raise Refused(self._explain(obj, name), code="conditions_not_met") from None
        except ConcurrentTransition:
            raise Changed(
                _("%(subject)s a changé entre-temps. Rechargez la page avant d'agir.")
                % {"subject": _capitalised(self.describe(obj))}
            ) from None
        for callback in self.after_commit:
            transaction.on_commit(lambda callback=callback, event=event: callback(event))
        return event

    def _explain(self, obj, name: str) -> str:
        if self.explain is not None:
            return self.explain(obj, name)
        return _("Les conditions de cette action ne sont pas remplies.")

    def _writable_columns(self) -> tuple[str, ...]:
        if self._columns is None:
            self._columns = tuple(
                f.attname
                for f in self.model._meta.concrete_fields
                if not f.primary_key
                and not getattr(f, "generated", False)
                and f.name not in ("state", "state_changed_at")
            )
        return self._columns

    def _column_values(self, obj) -> dict:
        return {column: getattr(obj, column) for column in self._writable_columns()}
