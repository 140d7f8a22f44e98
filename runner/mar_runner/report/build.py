"""Build the report's data from stored outcomes (and, when known, the deliveries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from mar_runner.engine.store import message_ref
from mar_runner.i18n import current_language
from mar_runner.report.labels import ACTION_LABELS, RESULT_LABELS, STATUS_LABELS, label
from mar_runner.report.model import AttemptRow, Counters, FileSection, MessageTrack, RecipientRow, Report
from mar_runner.report.reasons import describe_reason

NO_PROFILE_REASON = "no_profile_mapped"
DISABLED_REASON = "remediation_disabled"


def _message_ref(outcome: Mapping[str, Any]) -> str:
    return message_ref(outcome.get("message_id"), outcome.get("message_key"))


def latest_outcomes(outcomes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Keep one outcome per (SHA-256, message, recipient): the one started last.

    Several verdicts for the same file each store an outcome for the same
    recipient; the report counts the recipient once, with its latest result.
    """
    latest: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for outcome in outcomes:
        key = (outcome["sha256"], _message_ref(outcome), outcome["recipient"])
        kept = latest.get(key)
        if kept is None or (outcome.get("started_at") or "") >= (kept.get("started_at") or ""):
            latest[key] = outcome
    return list(latest.values())


def _row(outcome: Mapping[str, Any], lang: str, reason_cache: dict[str | None, Any]) -> RecipientRow:
    code = outcome.get("reason")
    if code not in reason_cache:
        reason_cache[code] = describe_reason(code, lang)
    reason = reason_cache[code]
    attempts = []
    for attempt in outcome.get("attempts") or []:
        attempt_code = attempt.get("reason")
        if attempt_code not in reason_cache:
            reason_cache[attempt_code] = describe_reason(attempt_code, lang)
        attempt_reason = reason_cache[attempt_code]
        attempts.append(
            AttemptRow(
                time=attempt.get("time"),
                profile=attempt.get("profile") or "",
                result=attempt.get("result") or "",
                reason=attempt_code,
                reason_text=attempt_reason.text if attempt_reason else None,
                message=attempt.get("message"),
                result_text=label(RESULT_LABELS, attempt.get("result"), lang),
            )
        )
    return RecipientRow(
        recipient=outcome["recipient"],
        message_id=outcome.get("message_id"),
        mids=[str(mid) for mid in outcome.get("mids") or []],
        action=outcome.get("action"),
        status=outcome["status"],
        reason=code,
        reason_text=reason.text if reason else None,
        fix=reason.fix if reason else None,
        profile=outcome.get("profile"),
        profiles_tried=list(outcome.get("profiles_tried") or []),
        copies=int(outcome.get("copies") or 0),
        folders=list(outcome.get("folders") or []),
        started_at=outcome.get("started_at"),
        finished_at=outcome.get("finished_at"),
        dry_run=bool(outcome.get("dry_run")),
        attempts=attempts,
        action_text=label(ACTION_LABELS, outcome.get("action"), lang),
        status_text=label(STATUS_LABELS, outcome["status"], lang),
    )


def _file_rank(section: FileSection) -> tuple[int, int, str]:
    # Failures first, then work still in progress, then the rest by SHA-256.
    return (-section.counters.failed, -section.counters.in_progress, section.sha256)


def _new_section(sha256: str) -> FileSection:
    return FileSection(
        sha256=sha256,
        anchor=f"sha-{sha256}",
        file_names=[],
        verdict_sources=[],
        verdict_time=None,
        actions=[],
        counters=Counters(),
    )


def _add_unique(values: list[str], value: Any) -> None:
    if value and value not in values:
        values.append(str(value))


def _place(section: FileSection, row: RecipientRow) -> None:
    if row.status == "failed" and row.reason == NO_PROFILE_REASON:
        section.no_profile.append(row)
    elif row.status == "failed":
        section.failed.append(row)
    elif row.status == "in_progress":
        section.in_progress.append(row)
    elif row.status == "success":
        section.remediated.append(row)
    else:
        section.skipped.append(row)


def _track(
    section: FileSection,
    tracks: dict[str, MessageTrack],
    row: RecipientRow,
    outcome: Mapping[str, Any],
    deliveries: Mapping[str, Mapping[str, Any]],
) -> None:
    ref = _message_ref(outcome)
    track = tracks.get(ref)
    if track is None:
        delivery = deliveries.get(ref) or {}
        track = MessageTrack(
            anchor=f"{section.anchor}-m{len(section.messages) + 1}",
            message_id=outcome.get("message_id"),
            mids=[str(mid) for mid in outcome.get("mids") or []],
            subject=delivery.get("subject"),
            sender=delivery.get("sender"),
            received_at=delivery.get("received_at"),
        )
        tracks[ref] = track
        section.messages.append(track)
    track.recipients.append(row)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(
    outcomes: Iterable[Mapping[str, Any]],
    *,
    deliveries: Mapping[str, Mapping[str, Any]] | None = None,
    since: str | None = None,
    until: str | None = None,
    sha256: str | None = None,
    include_dry_run: bool = False,
    lang: str | None = None,
    generated_at: str | None = None,
    remediation_enabled: bool = True,
    verdict_notes: Iterable[Mapping[str, Any]] = (),
) -> Report:
    """Build the report from outcome records (as ``OutcomeStore.query`` returns them).

    ``deliveries`` maps a message reference (the normalised Message-ID, or
    ``key:<message_key>``) to the delivery's ``subject``, ``sender`` and
    ``received_at`` for the tracking part. Dry-run outcomes are left out
    unless ``include_dry_run`` is true, because nothing was changed. (The
    engine does not store dry-run outcomes, so this matters only for outcomes
    passed in from a replay result.) With
    ``remediation_enabled`` false (``mar_settings.enabled`` of the applied
    configuration) the report carries a notice with the reason and its fix.
    ``verdict_notes`` (see ``source.verdict_notes``) are listed with their
    reason texts; they do not change the counters, which count recipients.
    """
    language = lang or current_language()
    reason_cache: dict[str | None, Any] = {}
    counters = Counters()
    sections: dict[str, FileSection] = {}
    tracks: dict[str, dict[str, MessageTrack]] = {}
    used_reasons: set[str] = set()

    selected = [outcome for outcome in outcomes if include_dry_run or not outcome.get("dry_run")]
    for outcome in sorted(latest_outcomes(selected), key=lambda item: (item.get("started_at") or "", item["recipient"])):
        section = sections.get(outcome["sha256"])
        if section is None:
            section = sections[outcome["sha256"]] = _new_section(outcome["sha256"])
            tracks[outcome["sha256"]] = {}
        _add_unique(section.file_names, outcome.get("file_name"))
        _add_unique(section.verdict_sources, outcome.get("verdict_source"))
        _add_unique(section.actions, outcome.get("action"))
        verdict_time = outcome.get("verdict_time")
        if verdict_time and (section.verdict_time is None or verdict_time < section.verdict_time):
            section.verdict_time = verdict_time

        row = _row(outcome, language, reason_cache)
        counters.add(row.status, row.action)
        section.counters.add(row.status, row.action)
        _place(section, row)
        _track(section, tracks[outcome["sha256"]], row, outcome, deliveries or {})
        if row.reason and row.status in ("failed", "skipped"):
            used_reasons.add(row.reason)

    reasons = []
    for code in sorted(used_reasons):
        described = reason_cache.get(code) or describe_reason(code, language)
        if described is not None:
            reasons.append({"code": code, "text": described.text, "fix": described.fix})
    notices = []
    if not remediation_enabled:
        disabled = describe_reason(DISABLED_REASON, language)
        if disabled is not None:
            notices.append({"code": disabled.code, "text": disabled.text, "fix": disabled.fix})
    notes = []
    for note in verdict_notes:
        described = describe_reason(note["code"], language)
        notes.append({**note, "text": described.text if described else "", "fix": described.fix if described else ""})
    return Report(
        verdict_notes=notes,
        notices=notices,
        generated_at=generated_at or _now(),
        since=since,
        until=until,
        sha256=sha256,
        lang=language,
        counters=counters,
        files=sorted(sections.values(), key=_file_rank),
        reasons=reasons,
    )
