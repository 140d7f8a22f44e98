"""Replay verdicts through the pipeline: the engine's entry point."""

from __future__ import annotations

import logging
import threading
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

from mar_runner import events
from mar_runner.engine import sources
from mar_runner.engine.backend import Backend, Target
from mar_runner.engine.errors import BackendError, ConfigurationMissing
from mar_runner.engine.limits import Limits
from mar_runner.engine.outcome import Outcome
from mar_runner.engine.pipeline import RecipientRunner, WorkItem
from mar_runner.engine.planning import PolicyResolver, ProfileResolver, plan_recipient
from mar_runner.engine.profiles import BackendPool
from mar_runner.engine.store import Ledger, LedgerKey, OutcomeStore, message_ref
from mar_runner.state import open_db, resolve_state_dir

logger = logging.getLogger("mar.engine")

COUNTER_NAMES = (
    "verdicts",
    "verdicts_ignored",
    "no_delivery_found",
    "clean_after_remediation",
    "recipients",
    "success",
    "failed",
    "skipped",
    "in_progress",
    "deleted",
    "forwarded",
    "forwarded_and_deleted",
    "unchanged",
)


@dataclass
class ReplayResult:
    """The result of a replay: outcomes, counters, notices and whether any mailbox changed."""

    run_id: str
    dry_run: bool
    enabled: bool = True
    disabled_reason: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    verdict_outcomes: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: {name: 0 for name in COUNTER_NAMES})

    @property
    def changed(self) -> bool:
        """True when a mailbox was changed or a forward was sent."""
        return any(outcome.changed for outcome in self.outcomes)

    @property
    def failed(self) -> bool:
        """True when some recipient ended failed or still in progress."""
        return self.counters["failed"] > 0 or self.counters["in_progress"] > 0

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain data (for JSON output and the Ansible plugin)."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "changed": self.changed,
            "counters": dict(self.counters),
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
            "verdict_outcomes": list(self.verdict_outcomes),
            "notices": list(self.notices),
            "input_errors": list(self.input_errors),
        }


def _count(result: ReplayResult, outcome: Outcome) -> None:
    counters = result.counters
    counters["recipients"] += 1
    counters[outcome.status] += 1
    if outcome.replayed:
        counters["unchanged"] += 1
    # The action counters count what this run did. An outcome replayed from
    # the ledger was done by an earlier run, so it does not count again.
    if outcome.status == "success" and not outcome.dry_run and not outcome.replayed:
        name = {"delete": "deleted", "forward": "forwarded", "forward_and_delete": "forwarded_and_deleted"}
        counters[name[outcome.action]] += 1


def _target(verdict: Any, delivery: Any) -> Target:
    names = tuple(
        attachment.name for attachment in getattr(delivery, "attachments", []) or []
        if getattr(attachment, "sha256", "").lower() == verdict.sha256.lower() and attachment.name
    )
    return Target(
        sha256=verdict.sha256.lower(),
        message_id=getattr(delivery, "message_id", None),
        sender=getattr(delivery, "sender", None),
        subject=getattr(delivery, "subject", None),
        received_at=getattr(delivery, "received_at", None),
        attachment_names=names,
    )


def replay(
    state_dir: str | Path | None,
    verdict_paths: Iterable[str | Path],
    *,
    dry_run: bool = False,
    tracking_paths: Iterable[str | Path] = (),
    timeout: float | None = None,
    config: dict[str, Any] | None = None,
    backend_factory: Callable[[dict[str, Any]], Backend] | None = None,
    progress: Callable[[int, int], None] | None = None,
    verdicts: list[Any] | None = None,
    tracking: Any | None = None,
    shard: tuple[int, int] | None = None,
) -> ReplayResult:
    """Replay the verdicts in ``verdict_paths`` and return what happened.

    ``tracking_paths`` are imported into the tracking index first.
    ``timeout`` (seconds) overrides both configured timeouts, so tests need
    not wait 15 s. ``config`` replaces the applied configuration, and
    ``backend_factory`` builds the backend of a profile (tests use a stub).
    ``verdicts`` gives verdict records instead of reading files, and
    ``tracking`` an object with ``deliveries_by_sha256`` in place of the
    tracking index.
    ``shard=(index, count)`` keeps only the recipients whose address hashes
    to ``index`` of ``count``, so ``count`` processes can share one replay
    (each mailbox stays with one process, so its request limit holds).
    ``progress(done, total)`` is called as recipients finish.
    Raises ConfigurationMissing when no configuration was applied.
    """
    state = resolve_state_dir(state_dir)
    in_shard = _shard_filter(shard)
    if config is None:
        config = sources.load_config(state)
    if config is None:
        raise ConfigurationMissing(
            f"no configuration has been applied to {state}: apply one first with marctl config apply or playbooks/apply.yml"
        )
    settings = config.get("mar_settings") or {}
    run_id = uuid.uuid4().hex[:12]
    result = ReplayResult(run_id=run_id, dry_run=dry_run)
    conn = open_db(state)
    lock = threading.Lock()
    try:
        store = OutcomeStore(conn, lock)
        ledger = Ledger(conn, lock)
        if tracking is None:
            tracking = sources.open_tracking(conn, tracking_paths, lock)
        if verdicts is None:
            verdicts, errors = sources.load_verdicts(verdict_paths)
            result.input_errors.extend(errors)
        events.emit(
            "run_started",
            f"replay run {run_id} started ({len(verdicts)} verdicts, dry run {dry_run})",
            run_id=run_id,
            dry_run=dry_run,
            verdicts=len(verdicts),
        )
        if not settings.get("enabled", True):
            result.enabled = False
            result.disabled_reason = "remediation_disabled"
            logger.warning("remediation is disabled in the settings: nothing was done")
            _finish(result, store, run_id)
            return result
        if not dry_run:
            store.start_run(run_id, dry_run)
        items = _plan(result, config, verdicts, tracking, store, ledger, state, settings, dry_run, lock, in_shard)
        _execute(result, items, config, settings, ledger, store, state, run_id, dry_run, timeout, backend_factory, progress)
        if not dry_run:
            store.finish_run(run_id, result.counters)
        _finish(result, store, run_id)
        return result
    finally:
        conn.close()


def _finish(result: ReplayResult, store: OutcomeStore, run_id: str) -> None:
    counters = result.counters
    events.emit(
        "run_finished",
        "replay run {run} finished: {success} succeeded, {failed} failed, {skipped} skipped, "
        "{unchanged} already done".format(run=run_id, **counters),
        run_id=run_id,
        changed=result.changed,
        **counters,
    )


def _shard_filter(shard: tuple[int, int] | None) -> Callable[[str], bool]:
    if shard is None:
        return lambda address: True
    index, count = shard
    if not (isinstance(index, int) and isinstance(count, int) and count >= 1 and 0 <= index < count):
        raise ValueError(f"invalid shard {index}/{count}: use I/N with 0 <= I < N, such as 0/2")
    return lambda address: zlib.crc32(address.lower().encode("utf-8")) % count == index


def _plan(result, config, verdicts, tracking, store, ledger, state, settings, dry_run, lock,
          in_shard: Callable[[str], bool]) -> list[list[WorkItem]]:
    lookback = sources.lookback(settings)
    policies = PolicyResolver(config.get("mar_policies") or [])
    profiles = ProfileResolver(
        config.get("mar_domain_mappings") or [],
        config.get("mar_chained_profiles") or [],
        config.get("mar_account_profiles") or [],
    )
    groups: dict[LedgerKey, list[WorkItem]] = {}
    for verdict in verdicts:
        result.counters["verdicts"] += 1
        if not dry_run:
            store.save_verdict(verdict)
        if verdict.verdict != "malicious":
            result.counters["verdicts_ignored"] += 1
            if verdict.verdict == "clean":
                _clean_verdict(result, verdict, ledger, state, settings)
            continue
        deliveries = list(tracking.deliveries_by_sha256(verdict.sha256.lower()))
        if not deliveries:
            result.counters["no_delivery_found"] += 1
            result.verdict_outcomes.append(
                {"verdict_id": verdict.verdict_id, "sha256": verdict.sha256, "status": "skipped", "reason": "no_delivery_found"}
            )
            logger.warning("no delivered message carries sha256 %s", verdict.sha256)
            continue
        for delivery in deliveries:
            target = _target(verdict, delivery)
            for recipient in delivery.recipients:
                if not in_shard(recipient.address):
                    continue
                plan = plan_recipient(delivery, recipient, verdict.observed_at, lookback, policies, profiles)
                remediation = (plan.policy or {}).get("mailbox_auto_remediation") or {}
                outcome = Outcome(
                    verdict_id=verdict.verdict_id,
                    sha256=verdict.sha256.lower(),
                    recipient=plan.address,
                    mids=[str(mid) for mid in (getattr(recipient, "mid", None) and [recipient.mid] or delivery.mids)],
                    message_id=delivery.message_id,
                    message_key=str(delivery.message_key),
                    policy=(plan.policy or {}).get("name"),
                    action=remediation.get("action"),
                    delete_mode=remediation.get("delete_mode", "hard") if remediation.get("action") != "forward" else None,
                    forward_to=remediation.get("forward_to"),
                    dry_run=dry_run,
                )
                if plan.skip_reason:
                    outcome.finish("skipped", plan.skip_reason)
                    _record(result, store, outcome, dry_run)
                    continue
                key = LedgerKey(
                    outcome.sha256, message_ref(outcome.message_id, outcome.message_key), outcome.recipient, outcome.action
                )
                groups.setdefault(key, []).append(WorkItem(outcome, key, target, plan.profiles))
    return list(groups.values())


def _clean_verdict(result, verdict, ledger, state, settings) -> None:
    from mar_runner.alerts import Alert, dispatch_alert

    remediated = ledger.remediated(verdict.sha256.lower())
    if not remediated:
        return
    result.counters["clean_after_remediation"] += 1
    recipients = sorted({entry.key.recipient for entry in remediated})
    notice = {
        "verdict_id": verdict.verdict_id,
        "sha256": verdict.sha256.lower(),
        "reason": "clean_after_remediation",
        "recipients": recipients,
        "actions": sorted({entry.key.action for entry in remediated}),
    }
    result.notices.append(notice)
    logger.warning("clean verdict for sha256 %s after remediation of %d recipients", verdict.sha256, len(recipients))
    dispatch_alert(
        state,
        settings,
        Alert(
            kind="clean_after_remediation",
            level="warning",
            reason="clean_after_remediation",
            sha256=verdict.sha256.lower(),
            details={"recipients": len(recipients), "verdict_id": verdict.verdict_id},
        ),
    )


def _record(result: ReplayResult, store: OutcomeStore, outcome: Outcome, dry_run: bool, run_id: str | None = None) -> None:
    result.outcomes.append(outcome)
    _count(result, outcome)
    if not dry_run and not outcome.replayed:
        store.save(outcome, run_id or result.run_id)
    events.emit(
        "recipient_outcome",
        f"{outcome.recipient}: {outcome.action} {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else ""),
        level=logging.WARNING if outcome.status == "failed" else logging.INFO,
        run_id=result.run_id,
        mid=",".join(outcome.mids),
        message_id=outcome.message_id,
        recipient=outcome.recipient,
        profile=outcome.profile,
        profiles_tried=list(outcome.profiles_tried),
        action=outcome.action,
        status=outcome.status,
        reason=outcome.reason,
        copies=outcome.copies,
        dry_run=outcome.dry_run,
        replayed=outcome.replayed,
        sha256=outcome.sha256,
    )


def _execute(result, groups, config, settings, ledger, store, state, run_id, dry_run, timeout, backend_factory, progress) -> None:
    from mar_runner.alerts import Alert, dispatch_alert

    limits = Limits.from_settings(settings.get("concurrency"))
    pool = BackendPool(config, settings, limits, timeout=timeout, factory=backend_factory)
    alerted: set[str] = set()
    alert_lock = threading.Lock()

    def on_unreachable(profile: str, error: BackendError) -> None:
        with alert_lock:
            if profile in alerted:
                return
            alerted.add(profile)
        declared = next((item for item in config.get("mar_account_profiles") or [] if item.get("name") == profile), {})
        # With these ids the alert shows the familiar test-connection message
        # with its cause and fix. None of them is a secret.
        details = {
            "server_message": error.server_message,
            "diagnosis_code": error.diagnosis,
            "host": declared.get("host"),
            "client_id": declared.get("client_id"),
            "tenant_id": declared.get("tenant_id"),
        }
        dispatch_alert(
            state,
            settings,
            Alert(kind="profile_unreachable", level="info", profile=profile, reason=error.reason,
                  details={name: value for name, value in details.items() if value}),
        )

    runner = RecipientRunner(ledger if not dry_run else _ReadOnlyLedger(ledger), pool.get, run_id=run_id,
                             dry_run=dry_run, on_unreachable=on_unreachable)
    total = sum(len(group) for group in groups)
    done = 0
    done_lock = threading.Lock()

    def run_group(group: list[WorkItem]) -> list[Outcome]:
        nonlocal done
        finished = []
        for item in group:
            finished.append(runner.run(item))
            with done_lock:
                done += 1
                if progress is not None:
                    progress(done, total)
        return finished

    try:
        with ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="mar-worker") as executor:
            for outcomes in executor.map(run_group, groups):
                for outcome in outcomes:
                    _record(result, store, outcome, dry_run, run_id)
    finally:
        pool.close()


class _ReadOnlyLedger:
    """The ledger in a dry run: read, never written."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def get(self, key: LedgerKey):
        return self._ledger.get(key)

    def record(self, *args, **kwargs) -> None:
        return None
