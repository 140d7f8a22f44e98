"""People-facing subject and body of an alert, in the current language."""

from __future__ import annotations

from typing import Any

from mar_runner.engine import reasons
from mar_runner.i18n import _
from mar_runner.logs.escape import escape_text
from mar_runner.report.reasons import describe_reason


def _profile_unreachable(alert: Any) -> tuple[str, list[str]]:
    profile = escape_text(alert.profile or "-")
    subject = _("mailsec.mar: profile {profile} cannot reach its mailboxes").format(profile=profile)
    lines = [_("The profile {profile} could not reach Exchange.").format(profile=profile)]
    diagnosis = alert.details.get("diagnosis") or alert.details.get("server_message")
    reason = describe_reason(alert.reason)
    if diagnosis:
        lines.append(_("Diagnosis: {text}").format(text=escape_text(diagnosis)))
    known = reasons.DIAGNOSES.get(alert.details.get("diagnosis_code") or "")
    if known is not None:
        # The test-connection row of this failure: the message an operator
        # knows from the appliance, its cause and its fix.
        values = {name: str(alert.details.get(name) or "-") for name in ("address", "host", "client_id", "tenant_id")}
        rendered = known.render(None, **values)
        lines.append(_("Message: {text}").format(text=escape_text(rendered["message"])))
        lines.append(_("Cause: {text}").format(text=escape_text(rendered["cause"])))
        lines.append(_("Fix: {text}").format(text=escape_text(rendered["fix"])))
    if reason is not None:
        lines.append(_("Reason: {code}: {text}").format(code=reason.code, text=reason.text))
        lines.append(_("Fix: {text}").format(text=reason.fix))
    if alert.details.get("recipient"):
        lines.append(_("First affected recipient: {address}").format(address=escape_text(alert.details["recipient"])))
    return subject, lines


def _clean_after_remediation(alert: Any) -> tuple[str, list[str]]:
    sha256 = escape_text(alert.sha256 or "-")
    subject = _("mailsec.mar: clean verdict for a remediated file {sha256}").format(sha256=sha256)
    lines = [
        _("A clean verdict arrived for the file {sha256} after its messages were remediated.").format(sha256=sha256)
    ]
    if alert.details.get("file_name"):
        lines.append(_("File name: {name}").format(name=escape_text(alert.details["file_name"])))
    restorable = alert.details.get("restorable") or []
    if restorable:
        lines.append(_("These messages can be restored from the recipients' Recoverable Items or the forward address:"))
        for item in restorable:
            lines.append(
                "- "
                + _("{recipient}: {action} of {message_id} at {time}").format(
                    recipient=escape_text(item.get("recipient", "-")),
                    action=escape_text(item.get("action", "-")),
                    message_id=escape_text(item.get("message_id", "-")),
                    time=escape_text(item.get("finished_at") or item.get("time") or "-"),
                )
            )
    else:
        lines.append(_("No remediated message was recorded for this file."))
    return subject, lines


def compose(alert: Any, suppressed_before: int) -> tuple[str, str]:
    """Return the subject and plain-text body of an alert email."""
    if alert.kind == "profile_unreachable":
        subject, lines = _profile_unreachable(alert)
    else:
        subject, lines = _clean_after_remediation(alert)
    if suppressed_before:
        lines.append(
            _("{count} similar alerts were suppressed since the previous one.").format(count=suppressed_before)
        )
    return subject, "\n".join(lines) + "\n"
