"""Message tracking results as a table, JSON, CSV or HTML."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from mar_runner.i18n import N_, translate
from mar_runner.logs.escape import escape_text
from mar_runner.report.labels import ACTION_LABELS, RESULT_LABELS, STATUS_LABELS, label
from mar_runner.report.render_csv import neutralise
from mar_runner.report.render_html import render_template
from mar_runner.report.render_table import format_table
from mar_runner.report.tracking import TrackResult

TRACK_COLUMNS = (
    "message_id",
    "mids",
    "subject",
    "sender",
    "received_at",
    "recipient",
    "delivery_status",
    "time",
    "profile",
    "action",
    "result",
    "reason",
    "reason_text",
    "sha256",
    "verdict_id",
)
_RESULTS = {**STATUS_LABELS, **RESULT_LABELS}


def _table(result: TrackResult) -> str:
    lang = result.lang
    lines: list[str] = []
    if not result.messages:
        return translate(N_("No message matches {criteria}."), lang).format(
            criteria=escape_text(", ".join(f"{name}={value}" for name, value in result.criteria.items()))
        ) + "\n"
    for tracked in result.messages:
        delivery = tracked.delivery or {}
        lines.append(translate(N_("Message {message_id}"), lang).format(message_id=escape_text(tracked.message_ref)))
        if delivery:
            lines.append("  " + translate(N_("MID: {mids}"), lang).format(mids=", ".join(delivery["mids"]) or "-"))
            lines.append("  " + translate(N_("Subject: {subject}"), lang).format(subject=escape_text(delivery["subject"] or "-")))
            lines.append("  " + translate(N_("Sender: {sender}"), lang).format(sender=escape_text(delivery["sender"] or "-")))
            lines.append("  " + translate(N_("Received: {time}"), lang).format(time=delivery["received_at"] or "-"))
            lines.extend(
                format_table(
                    [translate(N_("Recipient"), lang), translate(N_("Delivery"), lang), translate(N_("Delivered"), lang)],
                    [[item["address"], item["status"], item["delivered_at"] or "-"] for item in delivery["recipients"]],
                    indent="  ",
                )
            )
        else:
            lines.append("  " + translate(N_("The message is no longer in the tracking index."), lang))
        if tracked.attempts:
            lines.append("  " + translate(N_("Remediation attempts"), lang))
            headers = [translate(text, lang) for text in (N_("Time"), N_("Recipient"), N_("Profile"), N_("Action"), N_("Result"), N_("Reason"))]
            rows = [
                [
                    line.time or "-",
                    line.recipient,
                    line.profile or "-",
                    label(ACTION_LABELS, line.action, lang),
                    label(_RESULTS, line.result, lang),
                    line.reason or "-",
                ]
                for line in tracked.attempts
            ]
            lines.extend(format_table(headers, rows, indent="    "))
        else:
            lines.append("  " + translate(N_("No remediation was attempted on this message."), lang))
        lines.append("")
    return "\n".join(lines)


def _json(result: TrackResult) -> str:
    return json.dumps(asdict(result), ensure_ascii=False, indent=2) + "\n"


def _csv(result: TrackResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TRACK_COLUMNS)
    for tracked in result.messages:
        delivery = tracked.delivery or {}
        statuses = {item["address"]: item["status"] for item in delivery.get("recipients", [])}
        head = [
            delivery.get("message_id") or tracked.message_ref,
            ";".join(delivery.get("mids", [])),
            delivery.get("subject"),
            delivery.get("sender"),
            delivery.get("received_at"),
        ]
        attempted = set()
        for line in tracked.attempts:
            attempted.add(line.recipient)
            row = head + [
                line.recipient,
                statuses.get(line.recipient),
                line.time,
                line.profile,
                line.action,
                line.result,
                line.reason,
                line.reason_text,
                line.sha256,
                line.verdict_id,
            ]
            writer.writerow([neutralise(value) for value in row])
        for address, status in statuses.items():
            if address not in attempted:
                writer.writerow([neutralise(value) for value in head + [address, status] + [None] * 8])
    return buffer.getvalue()


def _html(result: TrackResult) -> str:
    return render_template("track.html", result.lang, result=result, results=_RESULTS)


RENDERERS = {"table": _table, "json": _json, "csv": _csv, "html": _html}


def render_track(result: TrackResult, fmt: str) -> str:
    """Return tracking results in format ``fmt`` (table, json, csv or html)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown tracking format {fmt!r}: use one of {', '.join(RENDERERS)}") from None
    return renderer(result)
