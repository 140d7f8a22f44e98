"""Entra ID (AADSTS) error bodies as the v2.0 endpoints send them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

PORTAL_HINT = (
    "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id "
    "'{client_id}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine "
    "the corresponding service endpoint and "
    "https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query "
    "request URL, such as 'https://graph.microsoft.com/beta/applications/{client_id}'"
)


@dataclass
class AadError(Exception):
    """An error response of the token or discovery endpoint."""

    status: int
    error: str
    code: int
    text: str  # the description after "AADSTSnnn: ", without the trace lines

    def body(self, now: datetime) -> dict:
        trace_id = str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        description = (
            f"AADSTS{self.code}: {self.text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\n"
            f"Timestamp: {stamp}"
        )
        return {
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def iso_time(value: datetime) -> str:
    """Format a time as Entra does in AADSTS700024 (seven fractional digits, Z)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def tenant_not_found(tenant: str, error: str = "invalid_tenant") -> AadError:
    return AadError(
        400,
        error,
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the "
        "correct cloud. Check with your subscription administrator, this may happen if there are no active "
        "subscriptions for the tenant.",
    )


def application_not_found(client_id: str, tenant: str) -> AadError:
    return AadError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if "
        "the application has not been installed by the administrator of the tenant or consented to by any user in "
        "the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def key_not_found(client_id: str, thumbprint_hex: str) -> AadError:
    return AadError(
        401,
        "invalid_client",
        700027,
        "The certificate with identifier used to sign the client assertion is not registered on application. "
        f"[Reason - The key was not found., Thumbprint of key used by client: '{thumbprint_hex}', "
        + PORTAL_HINT.format(client_id=client_id)
        + "]",
    )


def invalid_signature(client_id: str, thumbprint_hex: str, start: datetime, end: datetime) -> AadError:
    return AadError(
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the "
        f"expected signature value., Thumbprint of key used by client: '{thumbprint_hex}', Found key "
        f"'Start={start:%m/%d/%Y %H:%M:%S}, End={end:%m/%d/%Y %H:%M:%S}', "
        + PORTAL_HINT.format(client_id=client_id)
        + "]",
    )


def key_expired(client_id: str, thumbprint_hex: str, start: datetime, end: datetime) -> AadError:
    return AadError(
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key "
        f"used by client: '{thumbprint_hex}', Found key 'Start={start:%m/%d/%Y %H:%M:%S}, "
        f"End={end:%m/%d/%Y %H:%M:%S}', " + PORTAL_HINT.format(client_id=client_id) + "]",
    )


def outside_time_range(now: datetime, valid_from: datetime, expiry: datetime) -> AadError:
    return AadError(
        401,
        "invalid_client",
        700024,
        f"Client assertion is not within its valid time range. Current time: {iso_time(now)}, assertion valid from "
        f"{iso_time(valid_from)}, expiry time of assertion {iso_time(expiry)}. Review the documentation at "
        "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
    )


def missing_parameter(name: str) -> AadError:
    return AadError(400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'.")


def missing_credential() -> AadError:
    return AadError(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )


def unsupported_grant(grant_type: str) -> AadError:
    return AadError(
        400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'."
    )


def invalid_scope(scope: str) -> AadError:
    return AadError(
        400,
        "invalid_scope",
        1002012,
        f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with "
        "/.default suffixed to the resource identifier (application ID URI).",
    )


def malformed_assertion() -> AadError:
    return AadError(400, "invalid_request", 50027, "JWT token is invalid or malformed.")


def invalid_assertion_type() -> AadError:
    return AadError(
        400,
        "invalid_request",
        50027,
        "Invalid JWT token. The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
    )


def invalid_audience(audience: str, expected: str) -> AadError:
    # NOTE: the exact Entra text for a wrong aud claim was not found in a
    # public source; the code and shape follow the signature-validation family.
    return AadError(
        401,
        "invalid_client",
        700027,
        f"Client assertion failed signature validation. [Reason - The audience '{audience}' of the assertion does not "
        f"match the token endpoint '{expected}'.]",
    )


def invalid_issuer(client_id: str) -> AadError:
    # NOTE: text not confirmed against a real response (see invalid_audience).
    return AadError(
        401,
        "invalid_client",
        700021,
        f"Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at "
        f"https://learn.microsoft.com/entra/identity-platform/certificate-credentials . [client_id '{client_id}']",
    )
