"""Run one recipient's remediation through its profiles, with the ledger's crash-safe steps.

Steps of the ledger row (``step``), in order:

- ``intent``: the work is recorded and nothing has been sent yet;
- ``draft_created``: a forward draft exists, ``draft_id`` names it;
- ``forwarded``: the forward was sent;
- ``deleting``: the deletes were started;
- ``done``: the result is recorded (``status`` is final).

A rerun that finds ``draft_created`` looks the draft up: still a draft, it
sends it; sent or gone, the forward counts as done. So a forward is never
sent twice, whatever point the previous run stopped at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from mar_runner import events
from mar_runner.engine import faults, reasons
from mar_runner.engine.backend import Backend, Copy, FindResult, Target
from mar_runner.engine.errors import BackendError, PermanentError
from mar_runner.engine.outcome import Attempt, Outcome, utc_now
from mar_runner.engine.store import FINAL, Ledger, LedgerEntry, LedgerKey

logger = logging.getLogger("mar.engine")

# Reasons after which a profile counts as unreachable, which raises an alert.
UNREACHABLE = frozenset(
    {"authentication_failed", "clock_skew", "tls_verification_failed", "connection_failed", "timed_out", "configuration_error"}
)


@dataclass
class WorkItem:
    """One recipient of one message for one verdict, planned and ready to run."""

    outcome: Outcome
    key: LedgerKey
    target: Target
    profiles: list[str]


class RecipientRunner:
    """Carry out the action for work items; shared by all worker threads."""

    def __init__(
        self,
        ledger: Ledger | None,
        backends: Callable[[str], Backend],
        *,
        run_id: str,
        dry_run: bool = False,
        on_unreachable: Callable[[str, BackendError], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.backends = backends
        self.run_id = run_id
        self.dry_run = dry_run
        self.on_unreachable = on_unreachable

    # -- entry point ---------------------------------------------------------

    def run(self, item: WorkItem) -> Outcome:
        """Run ``item`` and return its finished outcome.

        An unexpected exception (a bug, not a server response) fails this
        recipient with ``server_error`` and leaves its ledger row in
        progress, so the next replay tries again; the other recipients go on.
        """
        try:
            return self._run(item)
        except Exception as error:  # keep one recipient's bug from ending the run
            logger.exception("recipient %s: unexpected %s", item.outcome.recipient, type(error).__name__)
            attempts = item.outcome.attempts
            if attempts and attempts[-1].result == "failed" and attempts[-1].reason is None:
                attempts[-1].reason = "server_error"
                attempts[-1].message = type(error).__name__
            return item.outcome.finish("failed", "server_error")

    def _run(self, item: WorkItem) -> Outcome:
        outcome = item.outcome
        entry = self.ledger.get(item.key) if self.ledger is not None else None
        if entry is not None and self._is_final(entry):
            outcome.replayed = True
            outcome.profile = entry.profile
            return outcome.finish(entry.status, entry.reason)
        if not item.profiles:
            return outcome.finish("failed", "no_profile_mapped")
        if not self.dry_run:
            self.ledger.record(item.key, status="in_progress", step=entry.step if entry else "intent")
            faults.reached("after_intent")
        last_error: BackendError | None = None
        for profile in item.profiles:
            outcome.profiles_tried.append(profile)
            self._emit_attempt(item, profile)
            attempt = Attempt(profile=profile, time=utc_now(), result="failed")
            outcome.attempts.append(attempt)
            try:
                backend = self.backends(profile)
                self._run_profile(item, backend, entry)
            except BackendError as error:
                attempt.reason = error.reason
                attempt.message = error.server_message or None
                last_error = error
                self._emit_error(item, profile, error)
                if error.reason in UNREACHABLE and self.on_unreachable is not None:
                    self.on_unreachable(profile, error)
                # A later profile must not resume a draft made through this one.
                entry = self.ledger.get(item.key) if self.ledger is not None else None
                continue
            attempt.result = "success"
            outcome.profile = profile
            if len(item.profiles) > 1 and profile != item.profiles[-1]:
                logger.info(
                    "recipient %s remediated through profile %s; not trying further profiles",
                    outcome.recipient,
                    profile,
                )
            if not self.dry_run:
                self.ledger.record(item.key, status="success", step="done", profile=profile)
            return outcome.finish("success")
        reason = last_error.reason if last_error else "server_error"
        if not self.dry_run:
            self.ledger.record(item.key, status="failed", step="done", reason=reason)
        return outcome.finish("failed", reason)

    @staticmethod
    def _is_final(entry: LedgerEntry) -> bool:
        if entry.status not in FINAL:
            return False
        return not (entry.status == "failed" and reasons.is_transient(entry.reason))

    # -- one profile ---------------------------------------------------------

    def _run_profile(self, item: WorkItem, backend: Backend, entry: LedgerEntry | None) -> None:
        outcome = item.outcome
        action = outcome.action
        mailbox = outcome.recipient
        step = entry.step if entry is not None else "intent"
        resumable = entry is not None and entry.draft_profile == backend.profile_name

        if self.dry_run:
            found = self._find_or_fail(backend, mailbox, item.target)
            self._note_found(outcome, found)
            outcome.copies = len(found.copies)
            return

        if action in ("forward", "forward_and_delete") and step not in ("forwarded", "deleting"):
            self._forward(item, backend, step, entry if resumable else None)
            step = "forwarded"

        if action == "forward":
            return

        found = backend.find(mailbox, item.target)
        self._note_found(outcome, found)
        if not found.copies:
            if step in ("forwarded", "deleting"):
                # The forward went out, or a delete ran before a crash: the message is gone.
                return
            raise PermanentError("message_not_found")
        self.ledger.record(item.key, status="in_progress", step="deleting", profile=backend.profile_name)
        mode = outcome.delete_mode or "hard"
        deleted = 0
        for copy in found.copies:
            deleted += self._delete_copy(item, backend, copy, mode)
        faults.reached("after_delete")
        outcome.copies = max(outcome.copies, deleted)
        outcome.changed = outcome.changed or deleted > 0
        if deleted == 0 and step not in ("forwarded", "deleting"):
            raise PermanentError("message_not_found")

    def _forward(self, item: WorkItem, backend: Backend, step: str, entry: LedgerEntry | None) -> None:
        outcome = item.outcome
        mailbox = outcome.recipient
        if step == "draft_created" and entry is not None and entry.draft_id:
            state = backend.draft_state(mailbox, entry.draft_id)
            logger.info("recipient %s: recorded draft is %s", mailbox, state)
            if state == "draft":
                self._send(item, backend, entry.draft_id)
            else:
                self.ledger.record(item.key, status="in_progress", step="forwarded", profile=backend.profile_name)
            outcome.copies = max(outcome.copies, 1)
            return
        found = self._find_or_fail(backend, mailbox, item.target)
        self._note_found(outcome, found)
        copy = found.copies[0]
        try:
            draft_id = backend.create_forward(mailbox, copy, outcome.forward_to)
        except BackendError as error:
            raise self._forward_error(error) from error
        faults.reached("after_draft_created")
        self.ledger.record(
            item.key,
            status="in_progress",
            step="draft_created",
            profile=backend.profile_name,
            draft_id=draft_id,
            draft_profile=backend.profile_name,
        )
        faults.reached("after_draft_recorded")
        self._send(item, backend, draft_id)
        outcome.copies = max(outcome.copies, 1)

    def _send(self, item: WorkItem, backend: Backend, draft_id: str) -> None:
        outcome = item.outcome
        try:
            backend.send_draft(outcome.recipient, draft_id)
        except BackendError as error:
            raise self._forward_error(error) from error
        faults.reached("after_send")
        outcome.changed = True
        self.ledger.record(item.key, status="in_progress", step="forwarded", profile=backend.profile_name)
        self._emit(
            item,
            "action",
            f"forwarded message to {outcome.forward_to}",
            profile=backend.profile_name,
            action="forward",
            forward_to=outcome.forward_to,
        )

    @staticmethod
    def _forward_error(error: BackendError) -> BackendError:
        # A profile that cannot be reached keeps its reason, so a chain moves on and
        # a transient failure is tried again. A rejected forward (for example no
        # Mail.Send permission) becomes forward_failed, and the message stays.
        if error.reason in UNREACHABLE or error.transient or error.reason == "message_too_large":
            return error
        return PermanentError("forward_failed", error.server_message, status=error.status)

    def _delete_copy(self, item: WorkItem, backend: Backend, copy: Copy, mode: str) -> int:
        """Delete one copy and return 1, or 0 when it is gone; a moved copy is looked up again once."""
        outcome = item.outcome
        try:
            backend.delete(outcome.recipient, copy, mode)
            self._emit_delete(item, backend, copy, mode)
            return 1
        except BackendError as error:
            if error.reason != "message_not_found":
                raise
        # The copy moved after it was found: look it up again once.
        again = backend.find(outcome.recipient, item.target)
        if not again.copies:
            logger.info("recipient %s: copy in %s is gone", outcome.recipient, copy.folder)
            return 0
        deleted = 0
        for moved in again.copies:
            try:
                backend.delete(outcome.recipient, moved, mode)
            except BackendError as second:
                if second.reason != "message_not_found":
                    raise
                continue
            self._emit_delete(item, backend, moved, mode)
            deleted = 1
        return deleted

    def _emit_delete(self, item: WorkItem, backend: Backend, copy: Copy, mode: str) -> None:
        self._emit(
            item,
            "action",
            f"deleted message ({mode}) from {copy.folder}",
            profile=backend.profile_name,
            action="delete",
            delete_mode=mode,
            folder=copy.folder,
        )

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _find_or_fail(backend: Backend, mailbox: str, target: Target) -> FindResult:
        found = backend.find(mailbox, target)
        if not found.copies:
            raise PermanentError("message_not_found")
        return found

    @staticmethod
    def _note_found(outcome: Outcome, found: FindResult) -> None:
        if found.found_by:
            outcome.found_by = found.found_by
        for copy in found.copies:
            if copy.folder not in outcome.folders:
                outcome.folders.append(copy.folder)

    def _emit(self, item: WorkItem, event: str, message: str, *, level: int = logging.INFO, **fields) -> None:
        """Emit an engine event with the run's and the recipient's ids added to ``fields``."""
        outcome = item.outcome
        events.emit(
            event,
            message,
            level=level,
            run_id=self.run_id,
            mid=",".join(outcome.mids),
            message_id=outcome.message_id,
            recipient=outcome.recipient,
            **fields,
        )

    def _emit_attempt(self, item: WorkItem, profile: str) -> None:
        outcome = item.outcome
        self._emit(
            item,
            "profile_attempt",
            f"trying profile {profile} for {outcome.recipient}",
            profile=profile,
            action=outcome.action,
            dry_run=self.dry_run,
        )

    def _emit_error(self, item: WorkItem, profile: str, error: BackendError) -> None:
        self._emit(
            item,
            "error",
            f"profile {profile} failed for {item.outcome.recipient}: {error.reason}",
            level=logging.WARNING,
            profile=profile,
            reason=error.reason,
            server_message=error.server_message,
        )

