"""Named fault points that end the process abruptly, for crash-safety tests.

Set ``MAR_FAULT_POINT`` to a point name, optionally followed by ``:N`` to
fire on its N-th passage (default the first). The process then ends at once
with exit status 137, as if killed, without running cleanup or committing
anything further. Points:

- ``after_intent``: the intent is recorded, nothing else is done.
- ``after_draft_created``: the forward draft exists but its id is not recorded.
- ``after_draft_recorded``: the draft id is recorded, the draft is not sent.
- ``after_send``: the forward is sent, its result is not recorded.
- ``after_delete``: the message is deleted, the result is not recorded.
"""

from __future__ import annotations

import os
import threading

ENV_VAR = "MAR_FAULT_POINT"
POINTS = ("after_intent", "after_draft_created", "after_draft_recorded", "after_send", "after_delete")
EXIT_STATUS = 137

_lock = threading.Lock()
_passes: dict[str, int] = {}


def reached(point: str) -> None:
    """End the process when ``point`` is the configured fault point."""
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r}: use one of {', '.join(POINTS)}")
    setting = os.environ.get(ENV_VAR)
    if not setting:
        return
    name, _, count = setting.partition(":")
    if name != point:
        return
    with _lock:
        _passes[point] = _passes.get(point, 0) + 1
        if _passes[point] >= int(count or 1):
            os._exit(EXIT_STATUS)
