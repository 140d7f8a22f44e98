"""Stable failure and skip reasons, and the test-connection diagnoses.

A reason is a stable code (stored in outcomes, logs and reports) with an
English text and a fix marked for translation. ``transient`` reasons are
tried again by the next replay; all others are final.

A diagnosis is one row of the test-connection table: the server's message as
the appliance shows it (a template with ``{client_id}``, ``{tenant_id}``,
``{address}`` or ``{host}``), plus its cause and fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from mar_runner.i18n import N_, translate


@dataclass(frozen=True)
class Reason:
    """A reason code with its people-facing text and fix (English source strings)."""

    code: str
    text: str
    fix: str
    transient: bool = False

    def render(self, lang: str | None = None) -> dict[str, str]:
        """Return the code, text and fix, translated into ``lang``."""
        return {"code": self.code, "text": translate(self.text, lang), "fix": translate(self.fix, lang)}


_REASONS = [
    Reason(
        "policy_disabled",
        N_("Mailbox auto remediation is not enabled in the recipient's policy."),
        N_("Enable mailbox_auto_remediation in the policy that applies to this recipient."),
    ),
    Reason(
        "not_delivered",
        N_("The message was not delivered to this recipient."),
        N_("Nothing to do: a message that was bounced, aborted or quarantined is not in the mailbox."),
    ),
    Reason(
        "outside_lookback",
        N_("The delivery is older than the look-back window counted back from the verdict's time."),
        N_("Raise mar_settings.lookback (at most 90d) and replay the verdict to act on older deliveries."),
    ),
    Reason(
        "no_delivery_found",
        N_("No delivered message carries this SHA-256 in the tracking index."),
        N_("Import the mail logs of the delivery period (marctl import) and replay the verdict."),
    ),
    Reason(
        "no_profile_mapped",
        N_("No account profile is mapped to the recipient's domain and there is no ALL mapping."),
        N_("Add the domain, or ALL, to mar_domain_mappings and apply the configuration."),
    ),
    Reason(
        "remediation_disabled",
        N_("Remediation is turned off in the settings (mar_settings.enabled is false)."),
        N_("Set mar_settings.enabled to true and apply the configuration."),
    ),
    Reason(
        "authentication_failed",
        N_("The mail server rejected the profile's credentials."),
        N_("Check the client id, tenant id, thumbprint and private key (Graph) or the user name and password (EWS)."),
    ),
    Reason(
        "clock_skew",
        N_("The token endpoint rejected the client assertion because its time is outside the valid range."),
        N_("Synchronise this host's clock (NTP) and try again."),
    ),
    Reason(
        "permission_denied",
        N_("The profile has no permission to access this mailbox."),
        N_("Grant the application Mail.ReadWrite and Mail.Send (Graph) or the ApplicationImpersonation role (EWS), and check any access policy that scopes mailboxes."),
    ),
    Reason(
        "mailbox_not_found",
        N_("No mailbox exists for this address."),
        N_("Check the recipient address, or map its domain to the profile that holds the mailbox."),
    ),
    Reason(
        "wrong_profile_type",
        N_("The mailbox cannot be reached through this type of profile (for example an on-premises mailbox through Graph)."),
        N_("Map the domain to a chained profile that includes the profile type that holds the mailbox."),
    ),
    Reason(
        "tls_verification_failed",
        N_("The server's TLS certificate could not be verified, or its host name does not match."),
        N_("Set ca_certificate on the profile to the CA that signed the server certificate, and check the host name."),
    ),
    Reason(
        "connection_failed",
        N_("The server could not be reached, or it failed with a server error on every attempt."),
        N_("Check the host name, DNS, the firewall and the server's health; the next replay tries again."),
        transient=True,
    ),
    Reason(
        "timed_out",
        N_("The server did not answer within the configured timeout."),
        N_("Check the network path, or raise cloud_timeout or onprem_timeout; the next replay tries again."),
        transient=True,
    ),
    Reason(
        "throttled",
        N_("The server was still throttling requests after the maximum number of attempts."),
        N_("Lower the concurrency settings or raise max_attempts; the next replay tries again."),
        transient=True,
    ),
    Reason(
        "message_not_found",
        N_("No copy of the message carrying the file's SHA-256 was found in the mailbox."),
        N_("Nothing to do if the user already deleted it; otherwise check that the tracking data matches the mailbox."),
    ),
    Reason(
        "forward_failed",
        N_("The server rejected the forward, so the message was left in the mailbox."),
        N_("Check forward_to and the profile's Mail.Send permission, then replay the verdict."),
    ),
    Reason(
        "message_too_large",
        N_("The forward was rejected because the message is too large."),
        N_("Raise the size limit for the forward_to mailbox, or use the delete action for this file."),
    ),
    Reason(
        "configuration_error",
        N_("The profile's configuration cannot be used (for example an encrypted private key without a passphrase)."),
        N_("Correct the profile in the configuration and apply it again."),
    ),
    Reason(
        "server_error",
        N_("The server returned an unexpected error."),
        N_("Read the server message in the remediation log and contact the mail administrator."),
    ),
    Reason(
        "clean_after_remediation",
        N_("A clean verdict arrived for a file that was already remediated; nothing was deleted."),
        N_("Restore what was soft-deleted, or tell the recipients about the forwarded copies if the file is safe."),
    ),
]

REASONS: dict[str, Reason] = {reason.code: reason for reason in _REASONS}
TRANSIENT = frozenset(reason.code for reason in _REASONS if reason.transient)


def get(code: str) -> Reason:
    """Return the reason for ``code``; an unknown code raises KeyError naming it."""
    try:
        return REASONS[code]
    except KeyError:
        raise KeyError(f"unknown reason code {code!r}") from None


def is_transient(code: str | None) -> bool:
    """Return True when a failure with ``code`` is tried again by the next replay."""
    return code in TRANSIENT


@dataclass(frozen=True)
class Diagnosis:
    """One test-connection row: the server message template, its cause and fix."""

    code: str
    reason: str
    message: str
    cause: str
    fix: str

    def render(self, lang: str | None = None, **values: str) -> dict[str, str]:
        """Return message, cause and fix translated into ``lang``, placeholders filled."""
        return {
            "diagnosis": self.code,
            "reason": self.reason,
            "message": translate(self.message, lang).format(**values),
            "cause": translate(self.cause, lang).format(**values),
            "fix": translate(self.fix, lang).format(**values),
        }


_DIAGNOSES = [
    Diagnosis(
        "no_mailbox",
        "mailbox_not_found",
        N_("The SMTP address has no mailbox associated with it"),
        N_("The address {address} has no mailbox on this server."),
        N_("Check the address, or test it with the profile of the system that holds the mailbox."),
    ),
    Diagnosis(
        "wrong_profile_type",
        "wrong_profile_type",
        N_("The mailbox cannot be accessed using this profile or the required permissions may be missing"),
        N_("The mailbox {address} is hosted where this profile type cannot reach it (for example on-premises), or the application lacks permissions."),
        N_("Use a profile of the type that holds the mailbox, or a chained profile, and check the application's permissions."),
    ),
    Diagnosis(
        "access_denied",
        "permission_denied",
        N_("Access is denied. Check credentials and try again"),
        N_("The application has no Mail.ReadWrite or Mail.Send permission for {address}, or an access policy leaves the mailbox out of its scope."),
        N_("Grant the application permissions with admin consent, and add the mailbox to the access policy's scope."),
    ),
    Diagnosis(
        "wrong_client_id",
        "authentication_failed",
        N_("Application with identifier '{client_id}' was not found in the directory {tenant_id}"),
        N_("The client id is not registered in the tenant."),
        N_("Copy the Application (client) ID of the app registration into client_id."),
    ),
    Diagnosis(
        "wrong_tenant_id",
        "authentication_failed",
        N_("No service namespace named '{tenant_id}' was found in the data store."),
        N_("The tenant id does not exist in this cloud."),
        N_("Copy the Directory (tenant) ID into tenant_id, and check the profile's cloud."),
    ),
    Diagnosis(
        "wrong_thumbprint",
        "authentication_failed",
        N_("Error validating credentials. Credential validation failed"),
        N_("No certificate with this thumbprint is registered on the application."),
        N_("Set thumbprint to the thumbprint of the certificate uploaded to the app registration."),
    ),
    Diagnosis(
        "invalid_signature",
        "authentication_failed",
        N_("Error validating credentials. Client assertion contains an invalid signature."),
        N_("The private key does not match the registered certificate, or the certificate has expired."),
        N_("Set private_key to the key of the registered certificate, or upload a new certificate."),
    ),
    Diagnosis(
        "clock_skew",
        "clock_skew",
        N_("Error validating credentials. Client assertion contains an invalid signature."),
        N_("The client assertion's time is outside its valid range: this host's clock is wrong."),
        N_("Synchronise this host's clock (NTP) and try again."),
    ),
    Diagnosis(
        "invalid_user",
        "mailbox_not_found",
        N_("The requested user {address} is invalid"),
        N_("The address {address} does not fit this profile: no such user in the tenant."),
        N_("Check the address, or use the profile of the system that holds the mailbox."),
    ),
    Diagnosis(
        "tls_untrusted",
        "tls_verification_failed",
        N_("Failed to verify exchange server('{host}') certificate. If self-signed certificate is used on exchange server install its custom CA certificate"),
        N_("The certificate of {host} is not signed by a trusted CA, or its name does not match the host."),
        N_("Set ca_certificate on the profile to the CA certificate in PEM form, and use the host name in the certificate."),
    ),
    Diagnosis(
        "invalid_password",
        "authentication_failed",
        N_("Invalid username or password entered for exchange server ('{address}')"),
        N_("The Exchange server rejected the service account's user name or password."),
        N_("Check username (DOMAIN\\user or UPN) and password, and the auth method (ntlm or basic)."),
    ),
    Diagnosis(
        "impersonation_denied",
        "permission_denied",
        N_("The account does not have permission to impersonate the requested user"),
        N_("The service account lacks the ApplicationImpersonation role for {address}."),
        N_("Assign the ApplicationImpersonation role to the service account (New-ManagementRoleAssignment)."),
    ),
    Diagnosis(
        "wrong_host",
        "connection_failed",
        N_("Please check host {host} is valid exchange server address."),
        N_("The host {host} could not be reached (DNS failure or connection refused)."),
        N_("Set host to the name of the Exchange server or its load balancer."),
    ),
    Diagnosis(
        "graph_unreachable",
        "connection_failed",
        N_("Please check host {host} is a valid Microsoft 365 login or Graph address."),
        N_("The host {host} could not be reached (DNS failure or connection refused)."),
        N_("Check cloud, authority_url and graph_url on the profile, and the network path or proxy to that host."),
    ),
    Diagnosis(
        "timed_out",
        "timed_out",
        N_("The server did not answer within the timeout."),
        N_("{host} did not answer within the configured timeout."),
        N_("Check the network path, or raise cloud_timeout or onprem_timeout."),
    ),
    Diagnosis(
        "throttled",
        "throttled",
        N_("The server is throttling requests. Try again later."),
        N_("{host} kept answering that it is busy after the maximum number of attempts."),
        N_("Try again later, or lower the concurrency settings."),
    ),
    Diagnosis(
        "server_error",
        "server_error",
        N_("The server returned an unexpected error."),
        N_("{host} returned an error this engine does not recognise."),
        N_("Read the server message and contact the mail administrator."),
    ),
    Diagnosis(
        "configuration_error",
        "configuration_error",
        N_("The profile's configuration cannot be used."),
        N_("The profile's credentials could not be loaded."),
        N_("Correct the profile in the configuration and apply it again."),
    ),
]

DIAGNOSES: dict[str, Diagnosis] = {diagnosis.code: diagnosis for diagnosis in _DIAGNOSES}
