"""Append-only event logs: one abstract model for every history of the project.

Each app keeps its own event table (``parc.DeviceEvent``, ``dons.DonationEvent``,
``prets.RequestEvent``, ``prets.LoanEvent``) and writes it through the named functions of its
``events.py``; this module gives them the same columns, the same refusals and the same
database protection:

- the queryset and the instance refuse UPDATE and DELETE in Python;
- a database trigger refuses UPDATE (SQLite, PostgreSQL) and DELETE (PostgreSQL), whoever sends
  it (``AppendOnlyTrigger``, a migration operation added with each event table);
- the one change allowed is ``redact()``: anonymisation erases free text it names, inside a
  transaction that holds a ``Redaction`` row (who, when, which table, why, how many rows).
  The trigger lets an UPDATE through only while such a row is open in the same transaction —
  other connections cannot see it before it commits, and it is closed before the commit.

Actions are a ``models.TextChoices`` per event model (``Event.Action``) with French labels:
templates print ``event.action_label``, never an ``if``/``elif`` on the action string.
"""

from django.conf import settings
from django.db import connection, models, transaction
from django.db.migrations.operations.base import Operation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyViolation(TypeError):
    """Someone tried to change or delete an event row outside ``redact()``."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation(f"{self.model._meta.label} rows are append-only.")

    def delete(self):
        raise AppendOnlyViolation(f"{self.model._meta.label} rows are append-only.")

    def redact(self, *, reason: str, actor=None, **values) -> int:
        """Overwrite the given free-text columns of these rows: the one audited exception.

        Only columns the model lists in ``REDACTABLE_FIELDS`` may be overwritten.
        """
        model = self.model
        refused = set(values) - set(model.REDACTABLE_FIELDS)
        if refused or not values:
            raise AppendOnlyViolation(
                f"{model._meta.label}: only {', '.join(model.REDACTABLE_FIELDS)} can be redacted."
            )
        with transaction.atomic(using=self.db):
            permit = Redaction.objects.using(self.db).create(
                table_name=model._meta.db_table,
                reason=reason[:200],
                actor=actor,
                in_progress=True,
            )
            rows = models.QuerySet.update(self, **values)
            Redaction.objects.using(self.db).filter(pk=permit.pk).update(
                in_progress=False, rows=rows
            )
        return rows


class WithoutKeys(models.Func):
    """``data`` without some of its keys, computed by the database (for ``redact``: erase the
    free text a JSON column holds and keep its facts). PostgreSQL's jsonb ``-`` operator,
    SQLite's ``json_remove``."""

    output_field = models.JSONField()

    def __init__(self, field: str, *keys: str):
        if not keys or not all(key.isidentifier() for key in keys):
            raise ValueError("WithoutKeys needs plain key names.")
        self.keys = keys
        super().__init__(models.F(field))

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"({column} - %s::text[])", [*params, list(self.keys)]
        paths = ", ".join(["%s"] * len(self.keys))
        return f"json_remove({column}, {paths})", [*params, *(f"$.{key}" for key in self.keys)]


class Event(models.Model):
    """What every history row holds. Subclasses add the foreign key to their subject and an
    ``Action`` TextChoices with the French labels of their actions."""

    class Action(models.TextChoices):
        pass

    # Free text that anonymisation may have to erase (``redact``).
    REDACTABLE_FIELDS = ("note", "data")

    action = models.CharField(_("action"), max_length=40)
    source_state = models.CharField(_("état de départ"), max_length=20, blank=True)
    target_state = models.CharField(_("état d'arrivée"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-id"]

    # The state enum of the subject, to label source_state and target_state.
    STATES: type[models.TextChoices] | None = None

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyViolation(f"{self._meta.label} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation(f"{self._meta.label} rows are append-only.")

    @property
    def action_label(self) -> str:
        actions = type(self).Action
        return str(actions(self.action).label) if self.action in actions.values else self.action

    def _state_label(self, value: str) -> str:
        states = type(self).STATES
        return str(states(value).label) if states is not None and value in states.values else ""

    @property
    def source_label(self) -> str:
        return self._state_label(self.source_state)

    @property
    def target_label(self) -> str:
        return self._state_label(self.target_state)

    @property
    def changes_state(self) -> bool:
        return bool(self.source_state) and self.source_state != self.target_state


class Redaction(models.Model):
    """The audit trail of every change made to an append-only table (anonymisation only)."""

    table_name = models.CharField(_("table"), max_length=100)
    reason = models.CharField(_("motif"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    rows = models.PositiveIntegerField(_("lignes"), default=0)
    # True only inside the transaction that redacts: the triggers let UPDATEs through then.
    in_progress = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("effacement dans un historique")
        verbose_name_plural = _("effacements dans les historiques")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["table_name"], name="redaction_open", condition=models.Q(in_progress=True)
            )
        ]

    def __str__(self):
        return f"{self.table_name} {self.at:%d/%m/%Y} ({self.rows})"


# --- the database side ----------------------------------------------------------------------

_PERMIT = "SELECT 1 FROM core_redaction WHERE in_progress AND table_name = '{table}'"


def _sqlite_forward(table: str) -> list[str]:
    # SQLite: UPDATE only. A DELETE trigger would break Django's flush (DELETE FROM) between
    # transactional tests; PostgreSQL flushes with TRUNCATE, which row triggers do not see.
    return [
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
        WHEN NOT EXISTS ({_PERMIT.format(table=table)})
        BEGIN
            SELECT RAISE(ABORT, '{table} is append-only');
        END;
        """
    ]


def _postgres_forward(table: str) -> list[str]:
    return [
        f"""
        CREATE OR REPLACE FUNCTION {table}_refuse_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND EXISTS ({_PERMIT.format(table=table)}) THEN
                RETURN NEW;
            END IF;
            -- SQLSTATE 23001: an integrity error for every client, as SQLite's ABORT.
            RAISE EXCEPTION '{table} is append-only' USING ERRCODE = 'restrict_violation';
        END;
        $$ LANGUAGE plpgsql;
        """,
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change();
        """,
    ]


def _backward(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_refuse_change();",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_append_only;"]


class AppendOnlyTrigger(Operation):
    """Migration operation: protect an event table with the append-only trigger.

    ``operations = [AppendOnlyTrigger("parc", "deviceevent")]`` after the table exists; the
    migration must depend on ``core``'s migration that creates ``core_redaction``.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, app_label: str, model_name: str):
        self.app_label = app_label
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _table(self, from_state):
        return from_state.apps.get_model(self.app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(to_state)
        vendor = schema_editor.connection.vendor
        statements = {"postgresql": _postgres_forward, "sqlite": _sqlite_forward}.get(vendor)
        for statement in statements(table) if statements else ():
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(from_state)
        for statement in _backward(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)

    def describe(self):
        return f"Append-only trigger on {self.app_label}.{self.model_name}"

    def deconstruct(self):
        return self.__class__.__name__, [self.app_label, self.model_name], {}


def protected_tables() -> list[str]:
    """The tables that carry the append-only trigger (for tests and docs)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE %s",
                ["%_append_only"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["%_append_only"],
            )
        return sorted({row[0] for row in cursor.fetchall()})


def event_models() -> list[type[Event]]:
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, Event)]
