"""What acteurs tells the floors above without knowing them.

``household_figures_changed`` is sent after commit when a household's commune or categories
(``HOUSEHOLD_CATEGORY_FIELDS``) were corrected (``acteurs.services.household_update``): what
the reports count about the households equipped. ``rapports`` listens
(``RapportsConfig.ready``) and recounts the summaries that hold the household.
"""

from django.db import transaction
from django.dispatch import Signal

# Arguments: household_ids (a sorted list of primary keys).
household_figures_changed = Signal()


def figures_changed(*household_ids: int) -> None:
    """Announce, once the transaction commits, that these households' figures changed."""
    ids = sorted({pk for pk in household_ids if pk is not None})
    if ids:
        transaction.on_commit(
            lambda: household_figures_changed.send(sender=figures_changed, household_ids=ids)
        )
