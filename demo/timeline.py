"""A timeline that plays the demo's stories in the order of their moments, under a frozen clock.

A story is a generator: the code before its first ``yield`` runs at the moment it was started
at; each ``yield moment`` hands the clock back and resumes the story at ``moment``. The
timeline keeps every story in one queue ordered by moment and moves a frozen clock
(time-machine) forward from one step to the next, so ``timezone.now()``, ``date.today()`` and
every ``default=timezone.now`` column read the step's moment, and the rows and events of all
the apps are written in the order they would have been in real use: a device is ready before
it is allocated, a request approved before its loan, a loan open when its device is repaired.

The clock never goes backwards and never reaches the real now: a step due later runs one
minute before it.
"""

import heapq
import itertools
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta

import time_machine

Story = Generator[datetime, None, None] | Iterator[datetime]


class Timeline:
    def __init__(self, now: datetime):
        self.now = now  # the real now: nothing happens after it
        self.latest = now - timedelta(minutes=1)
        self.current: datetime | None = None
        self._queue: list[tuple[datetime, int, Story]] = []
        self._order = itertools.count()

    def start(self, at: datetime, story: Story) -> None:
        """Play ``story`` from ``at`` on."""
        heapq.heappush(self._queue, (at, next(self._order), story))

    def is_past(self, moment: datetime) -> bool:
        """``moment`` is before the real now (an optional step after it is left out)."""
        return moment <= self.latest

    def run(self) -> int:
        """Play every story to its end; returns the number of steps played."""
        steps = 0
        if not self._queue:
            return steps
        with time_machine.travel(self._queue[0][0], tick=False) as traveller:
            while self._queue:
                at, _order, story = heapq.heappop(self._queue)
                at = min(at, self.latest)
                if self.current is not None:
                    at = max(at, self.current)
                self.current = at
                traveller.move_to(at)
                steps += 1
                try:
                    following = next(story)
                except StopIteration:
                    continue
                heapq.heappush(self._queue, (following, next(self._order), story))
        return steps
