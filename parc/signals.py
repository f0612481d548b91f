"""What parc tells the floors above without knowing them.

``device_figures_changed`` is sent after commit when something a report counts about devices
changed without a device event: a technician's work time, parts used (``parc.services``), a
loan fee paid or refunded (``prets``, which sends it through ``figures_changed``). Every other
change writes a ``DeviceEvent``, which the reports' ten-minute refresh already sees; these did
not, so the donation summaries kept the old figures until the device's next event. ``rapports``
listens (``RapportsConfig.ready``) and refreshes the summaries of the devices' donations.
"""

from django.db import transaction
from django.dispatch import Signal

# Arguments: device_ids (a sorted list of primary keys).
device_figures_changed = Signal()


def figures_changed(*device_ids: int) -> None:
    """Announce, once the transaction commits, that these devices' figures changed."""
    ids = sorted({pk for pk in device_ids if pk is not None})
    if ids:
        transaction.on_commit(
            lambda: device_figures_changed.send(sender=figures_changed, device_ids=ids)
        )
