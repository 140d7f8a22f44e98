"""Alert rate limiting, log events and delivery through a local SMTP relay."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import datetime, timedelta, timezone

import pytest

from mar_runner.alerts import Alert, dispatch_alert
from mar_runner.alerts.ratelimit import parse_interval
from mar_runner.alerts.smtp import AlertDeliveryError, send_alert_email
from mar_runner.i18n import set_language

from .smtp_relay import make_certificates, start_relay

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)
UNREACHABLE = Alert(
    kind="profile_unreachable",
    level="info",
    profile="graph-main",
    reason="authentication_failed",
    details={"diagnosis": "Error validating credentials. Client assertion contains an invalid signature."},
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("relay"))


@pytest.fixture
def relay(certificates):
    controller, mailbox = start_relay(certificates, username="alerts", password="relay-pass")
    yield controller, mailbox
    controller.stop()


def _smtp(controller, certificates, **changes):
    settings = {
        "host": "127.0.0.1",
        "port": controller.port,
        "starttls": True,
        "username": "alerts",
        "password": "relay-pass",
        "from": "mar@example.com",
        "to": ["secops@example.com"],
        "ca_certificate": certificates.ca_pem,
        "timeout": 5,
    }
    settings.update(changes)
    return settings


def _alert_records(caplog):
    return [record for record in caplog.records if getattr(record, "mar_event", None) == "alert"]


def test_once_per_profile_per_interval(state_dir, caplog):
    caplog.set_level(logging.INFO, logger="mar")
    settings = {"alerts": {"interval": "1h"}}
    sent = [
        dispatch_alert(state_dir, settings, UNREACHABLE, now=T0),
        dispatch_alert(state_dir, settings, UNREACHABLE, now=T0 + timedelta(minutes=10)),
        dispatch_alert(state_dir, settings, UNREACHABLE, now=T0 + timedelta(minutes=59)),
        dispatch_alert(state_dir, settings, UNREACHABLE, now=T0 + timedelta(minutes=61)),
    ]
    assert sent == [True, False, False, True]
    records = _alert_records(caplog)
    assert len(records) == 2
    assert records[1].mar_fields["suppressed_before"] == 2
    assert records[0].mar_fields["profile"] == "graph-main"
    assert records[0].levelno == logging.INFO


def test_other_profile_not_suppressed(state_dir):
    other = Alert(kind="profile_unreachable", level="info", profile="ews-onprem", reason="connection_failed")
    assert dispatch_alert(state_dir, None, UNREACHABLE, now=T0) is True
    assert dispatch_alert(state_dir, None, other, now=T0) is True


def test_limit_shared_across_connections(state_dir):
    assert dispatch_alert(state_dir, None, UNREACHABLE, now=T0) is True
    # A second process opens its own connection; the stored time still applies.
    assert dispatch_alert(str(state_dir), {}, UNREACHABLE, now=T0 + timedelta(minutes=30)) is False


def test_clean_verdict_warning_per_file(state_dir, caplog):
    caplog.set_level(logging.INFO, logger="mar")
    first = Alert(kind="clean_after_remediation", level="warning", sha256="a" * 64, details={"restorable": [{}]})
    second = Alert(kind="clean_after_remediation", level="warning", sha256="b" * 64)
    assert dispatch_alert(state_dir, None, first, now=T0) is True
    assert dispatch_alert(state_dir, None, second, now=T0) is True
    records = _alert_records(caplog)
    assert records[0].levelno == logging.WARNING
    assert records[0].mar_fields["restorable_count"] == 1


def test_unknown_kind_rejected(state_dir):
    with pytest.raises(ValueError, match=r"^unknown alert kind 'nope': use one of profile_unreachable, clean_after_remediation$"):
        dispatch_alert(state_dir, None, Alert(kind="nope", level="info"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, timedelta(hours=1)), ("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)), ("1d", timedelta(days=1)), (90, timedelta(seconds=90))],
)
def test_interval_forms(value, expected):
    assert parse_interval(value) == expected


def test_interval_invalid():
    with pytest.raises(ValueError, match=r"^invalid alert interval 'soon': use a number with a unit s, m, h or d, such as 1h$"):
        parse_interval("soon")


def test_email_through_starttls_relay(state_dir, relay, certificates):
    controller, mailbox = relay
    settings = {"alerts": {"interval": "1h", "smtp": _smtp(controller, certificates)}}
    assert dispatch_alert(state_dir, settings, UNREACHABLE, now=T0) is True
    assert len(mailbox.messages) == 1
    sender, recipients, raw = mailbox.messages[0]
    assert sender == "mar@example.com"
    assert recipients == ["secops@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "mailsec.mar: profile graph-main cannot reach its mailboxes"
    body = message.get_content().replace("\r\n", "\n")
    assert "Diagnosis: Error validating credentials. Client assertion contains an invalid signature.\n" in body
    assert "Reason: authentication_failed: " in body
    assert "Fix: " in body
    assert "relay-pass" not in raw.decode("utf-8", "replace")


def test_email_suppressed_within_interval(state_dir, relay, certificates):
    controller, mailbox = relay
    settings = {"alerts": {"interval": "1h", "smtp": _smtp(controller, certificates)}}
    dispatch_alert(state_dir, settings, UNREACHABLE, now=T0)
    dispatch_alert(state_dir, settings, UNREACHABLE, now=T0 + timedelta(minutes=5))
    assert len(mailbox.messages) == 1


def test_email_in_japanese(state_dir, relay, certificates):
    controller, mailbox = relay
    set_language("ja")
    dispatch_alert(state_dir, {"alerts": {"smtp": _smtp(controller, certificates)}}, UNREACHABLE, now=T0)
    message = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert message["Subject"] == "mailsec.mar: プロファイル graph-main からメールボックスに接続できません"


def test_clean_verdict_lists_restorable(relay, certificates):
    controller, mailbox = relay
    alert = Alert(
        kind="clean_after_remediation",
        level="warning",
        sha256="c" * 64,
        details={
            "file_name": "invoice.pdf\r\nBcc: x@example.net",
            "restorable": [
                {"recipient": "user@example.com", "action": "delete", "message_id": "<m1@example.com>", "finished_at": "2026-12-04T19:00:00Z"}
            ],
        },
    )
    assert dispatch_alert(None, {"alerts": {"smtp": _smtp(controller, certificates)}}, alert) is True
    message = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    body = message.get_content().replace("\r\n", "\n")
    assert "File name: invoice.pdf\\r\\nBcc: x@example.net\n" in body
    assert "- user@example.com: delete of <m1@example.com> at 2026-12-04T19:00:00Z\n" in body
    assert message["Bcc"] is None


def test_failing_relay_logged_not_raised(state_dir, caplog, certificates):
    caplog.set_level(logging.INFO, logger="mar")
    smtp = {"host": "127.0.0.1", "port": 1, "starttls": True, "from": "mar@example.com", "to": "secops@example.com", "timeout": 2}
    assert dispatch_alert(state_dir, {"alerts": {"smtp": smtp}}, UNREACHABLE, now=T0) is True
    errors = [record for record in caplog.records if getattr(record, "mar_event", None) == "error"]
    assert len(errors) == 1
    assert errors[0].mar_fields["kind"] == "alert_delivery_failed"
    assert "alert email not sent: relay 127.0.0.1:1 failed: " in errors[0].mar_fields["error"]
    assert len(_alert_records(caplog)) == 1


def test_wrong_password_error(relay, certificates):
    controller, _mailbox = relay
    with pytest.raises(AlertDeliveryError) as raised:
        send_alert_email(_smtp(controller, certificates, password="wrong"), "s", "b")
    assert str(raised.value) == (
        f"alert email not sent: relay 127.0.0.1:{controller.port} rejected the login of 'alerts' (535); "
        "check alerts.smtp.username and password"
    )


def test_untrusted_relay_certificate(relay, certificates):
    controller, _mailbox = relay
    with pytest.raises(AlertDeliveryError) as raised:
        send_alert_email(_smtp(controller, certificates, ca_certificate=None), "s", "b")
    assert str(raised.value) == (
        f"alert email not sent: TLS with relay 127.0.0.1:{controller.port} failed (CERTIFICATE_VERIFY_FAILED); "
        "check the relay's certificate and alerts.smtp.ca_certificate"
    )


def test_password_without_starttls_rejected():
    with pytest.raises(AlertDeliveryError) as raised:
        send_alert_email({"host": "127.0.0.1", "port": 2525, "starttls": False, "username": "u", "password": "p", "from": "a@example.com", "to": "b@example.com"}, "s", "b")
    assert str(raised.value) == (
        "alert email not sent: relay 127.0.0.1:2525 has a username but starttls is false; "
        "enable starttls so the password is not sent in clear text"
    )


def test_incomplete_settings_rejected():
    with pytest.raises(AlertDeliveryError, match=r"^alert email not sent: alerts.smtp needs host, from and to$"):
        send_alert_email({"host": "127.0.0.1"}, "s", "b")


def test_relay_ca_from_ssl_cert_file(relay, certificates, tmp_path, monkeypatch):
    controller, mailbox = relay
    ca_file = tmp_path / "relay-ca.pem"
    ca_file.write_text(certificates.ca_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    smtp = _smtp(controller, certificates)
    del smtp["ca_certificate"]
    send_alert_email(smtp, "subject", "body")
    assert len(mailbox.messages) == 1


def test_plain_relay_without_auth(certificates):
    from .smtp_relay import start_plain_relay

    controller, mailbox = start_plain_relay()
    try:
        send_alert_email({"host": "127.0.0.1", "port": controller.port, "from": "mar@example.com", "to": ["a@example.com"]}, "s", "b")
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1


def test_clean_verdict_restorable_from_outcomes(state_dir, relay, certificates):
    from mar_runner.engine.outcome import Outcome
    from mar_runner.engine.store import OutcomeStore
    from mar_runner.state import open_db

    conn = open_db(state_dir)
    try:
        done = Outcome(verdict_id="v1", sha256="d" * 64, recipient="alice@example.com", message_id="<m1@example.com>", action="forward_and_delete")
        done.finish("success")
        failed = Outcome(verdict_id="v1", sha256="d" * 64, recipient="bob@example.com", message_id="<m1@example.com>", action="forward_and_delete")
        failed.finish("failed", "permission_denied")
        OutcomeStore(conn).save(done)
        OutcomeStore(conn).save(failed)
    finally:
        conn.close()
    controller, mailbox = relay
    alert = Alert(kind="clean_after_remediation", level="warning", reason="clean_after_remediation", sha256="d" * 64, details={"recipients": 1})
    assert dispatch_alert(state_dir, {"alerts": {"smtp": _smtp(controller, certificates)}}, alert, now=T0) is True
    body = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default).get_content().replace("\r\n", "\n")
    assert f"- alice@example.com: forward_and_delete of <m1@example.com> at {done.finished_at}\n" in body
    assert "bob@example.com" not in body


def test_diagnosis_row_in_email(relay, certificates):
    controller, mailbox = relay
    alert = Alert(
        kind="profile_unreachable",
        level="info",
        profile="onprem",
        reason="tls_verification_failed",
        details={"diagnosis_code": "tls_untrusted", "host": "mail.corp.example.com"},
    )
    assert dispatch_alert(None, {"alerts": {"smtp": _smtp(controller, certificates)}}, alert) is True
    body = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default).get_content().replace("\r\n", "\n")
    assert (
        "Message: Failed to verify exchange server('mail.corp.example.com') certificate. "
        "If self-signed certificate is used on exchange server install its custom CA certificate\n"
    ) in body
    assert "Cause: The certificate of mail.corp.example.com is not signed by a trusted CA, or its name does not match the host.\n" in body


def test_broken_state_still_alerts(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mar")
    state = tmp_path / "state"
    state.mkdir()
    (state / "mar.db").write_bytes(b"not a database " * 100)
    assert dispatch_alert(state, None, UNREACHABLE, now=T0) is True
    assert len(_alert_records(caplog)) == 1
    assert "alert rate limit not checked for profile_unreachable profile=graph-main sha256=None: file is not a database" in caplog.text


def test_invalid_port_rejected():
    with pytest.raises(AlertDeliveryError, match=r"^alert email not sent: invalid alerts.smtp.port 'x': use a number from 1 to 65535$"):
        send_alert_email({"host": "127.0.0.1", "port": "x", "from": "a@example.com", "to": "b@example.com"}, "s", "b")
