"""Alert email through an SMTP relay: STARTTLS with certificate verification, optional auth."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

# Defaults of mar_settings.alerts.smtp in the settings schema.
DEFAULT_PORT = 25
DEFAULT_TIMEOUT = 10.0


class AlertDeliveryError(Exception):
    """The alert email could not be sent. The message names the cause and the setting to change."""


def _recipients(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value or []]


def _tls_context(smtp: dict[str, Any]) -> ssl.SSLContext:
    # The relay's certificate is verified against the system CA store, which
    # SSL_CERT_FILE replaces as in OpenSSL. ca_certificate (PEM text) is not
    # a configuration field; callers and tests may pass it directly.
    context = ssl.create_default_context()
    if smtp.get("ca_certificate"):
        context.load_verify_locations(cadata=smtp["ca_certificate"])
    return context


def send_alert_email(smtp: dict[str, Any], subject: str, body: str) -> None:
    """Send one alert email through the relay described by ``mar_settings.alerts.smtp``.

    Raises AlertDeliveryError on a refused connection, a TLS or authentication
    failure, a rejected message or an incomplete setting.
    """
    host = smtp.get("host")
    sender = smtp.get("from")
    recipients = _recipients(smtp.get("to"))
    if not host or not sender or not recipients:
        raise AlertDeliveryError("alert email not sent: alerts.smtp needs host, from and to")
    try:
        port = int(smtp.get("port") or DEFAULT_PORT)
    except (TypeError, ValueError):
        raise AlertDeliveryError(f"alert email not sent: invalid alerts.smtp.port {smtp.get('port')!r}: use a number from 1 to 65535") from None
    starttls = bool(smtp.get("starttls", False))
    username = smtp.get("username")
    if username and not starttls:
        raise AlertDeliveryError(
            f"alert email not sent: relay {host}:{port} has a username but starttls is false; "
            "enable starttls so the password is not sent in clear text"
        )

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=str(sender).rpartition("@")[2] or None)
    message.set_content(body)

    try:
        with smtplib.SMTP(host, port, timeout=float(smtp.get("timeout") or DEFAULT_TIMEOUT)) as client:
            client.ehlo()
            if starttls:
                client.starttls(context=_tls_context(smtp))
                client.ehlo()
            if username:
                client.login(username, smtp.get("password") or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertDeliveryError(
            f"alert email not sent: relay {host}:{port} rejected the login of {username!r} ({exc.smtp_code}); "
            "check alerts.smtp.username and password"
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise AlertDeliveryError(
            f"alert email not sent: relay {host}:{port} does not offer STARTTLS or AUTH; "
            "use a relay that does, or set starttls to false for a relay without authentication"
        ) from exc
    except ssl.SSLError as exc:
        raise AlertDeliveryError(
            f"alert email not sent: TLS with relay {host}:{port} failed ({exc.reason or exc}); "
            "check the relay's certificate and alerts.smtp.ca_certificate"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise AlertDeliveryError(f"alert email not sent: relay {host}:{port} failed: {exc}") from exc
