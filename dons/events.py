"""The donation's history: every row of ``DonationEvent`` is written here, by name.

Transitions write theirs through the machine (``dons.transitions``); these are the events
that do not change the state.
"""

from .models import Donation, DonationEvent

Action = DonationEvent.Action


def donation_announced(donation: Donation, actor, *, lines: dict) -> DonationEvent:
    return DonationEvent.objects.create(
        donation=donation,
        action=Action.ANNOUNCE,
        source_state="",
        target_state=donation.state,
        actor=actor,
        data={"lines": lines},
    )


def donation_edited(donation: Donation, actor, *, changed: dict, lines=None) -> DonationEvent:
    data = {"changed": changed}
    if lines is not None:
        data["lines"] = lines
    return donation.record_event(Action.EDIT, actor, data=data)


def document_attached(donation: Donation, actor, document) -> DonationEvent:
    return donation.record_event(
        Action.DOCUMENT,
        actor,
        note=str(document),
        data={"document_id": document.pk, "kind": document.kind},
    )


def share_link_issued(donation: Donation, actor) -> DonationEvent:
    return donation.record_event(Action.SHARE_LINK, actor)


def share_links_revoked(donation: Donation, actor) -> DonationEvent:
    return donation.record_event(Action.REVOKE_LINKS, actor)
