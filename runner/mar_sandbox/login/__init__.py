"""Entra ID v2.0 endpoints: OpenID configuration and the client-credentials token endpoint.

``GET /{tenant}/v2.0/.well-known/openid-configuration`` and
``POST /{tenant}/oauth2/v2.0/token`` with a certificate client assertion.
The tenant in the path may be its id, name or a verified domain.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, unquote, urlsplit

from mar_sandbox.context import SandboxContext
from mar_sandbox.http_base import JSONHandler, elapsed_ms
from mar_sandbox.login import errors
from mar_sandbox.login.assertion import verify_assertion
from mar_sandbox.tokens import issue_token

log = logging.getLogger("mar_sandbox.login")

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def openid_configuration(base: str, tenant_id: str) -> dict:
    root = f"{base}/{tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant_id}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/{tenant_id}/openid/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }


def make_handler_class(context: SandboxContext) -> type:
    """Return the login listener's handler class."""

    class LoginHandler(JSONHandler):
        service = "login"

        def do_GET(self) -> None:
            started = time.perf_counter()
            parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
            self.read_body()
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._discovery(parts[0], started)
                return
            self._answer_error(errors.AadError(404, "invalid_request", 90010, "The request is not supported."), "get", None, started)

        def do_POST(self) -> None:
            started = time.perf_counter()
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            body = self.read_body()
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                self._token(parts[0], body, started)
                return
            self._answer_error(errors.AadError(404, "invalid_request", 90010, "The request is not supported."), "post", None, started)

        def _fault(self, operation: str, app: str | None, started: float) -> bool:
            decision = context.faults.decide("login", operation=operation, app=app)
            if decision.delay:
                context.faults.wait(decision.delay)
            if decision.action is None:
                return False
            context.log.record("login", self.command, urlsplit(self.path).path, 0, operation=operation, app=app, fault=decision.action, duration_ms=elapsed_ms(started))
            if decision.action == "hang":
                self.hang(decision.seconds, context.stopping)
            elif decision.action == "drop":
                self.drop()
            elif decision.action == "throttle":
                error = errors.AadError(429, "temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop. Please contact your app vendor.")
                self.send_json(429, error.body(context.clock.now()), {"Retry-After": str(max(1, int(decision.retry_after)))})
            else:
                error = errors.AadError(decision.status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
                self.send_json(decision.status, error.body(context.clock.now()))
            return True

        def _discovery(self, tenant_key: str, started: float) -> None:
            if self._fault("discovery", None, started):
                return
            tenant = context.store.find_tenant(tenant_key)
            if tenant is None:
                self._answer_error(errors.tenant_not_found(tenant_key), "discovery", None, started)
                return
            context.log.record("login", "GET", urlsplit(self.path).path, 200, operation="discovery", duration_ms=elapsed_ms(started))
            self.send_json(200, openid_configuration(context.urls["login"], tenant.tenant_id))

        def _token(self, tenant_key: str, body: bytes, started: float) -> None:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
            client_id = form.get("client_id", "")
            if self._fault("token", client_id or None, started):
                return
            try:
                roles, tenant_id = self._check_token_request(tenant_key, form)
            except errors.AadError as exc:
                self._answer_error(exc, "token", client_id or None, started)
                return
            except Exception:  # noqa: BLE001 - a bug must still produce an AADSTS-shaped 500
                log.exception("login: unexpected error checking a token request client_id=%s", client_id or "-")
                error = errors.AadError(500, "server_error", 90033, "A transient error has occurred. Please try again.")
                self._answer_error(error, "token", client_id or None, started)
                return
            now = context.clock.timestamp()
            resource = form["scope"].split()[0].rsplit("/.default", 1)[0]
            token = issue_token(
                context.token_secret,
                tenant_id=tenant_id,
                client_id=client_id,
                roles=roles,
                audience=resource,
                now=now,
                lifetime=context.token_lifetime,
                issuer=f"https://sts.windows.net/{tenant_id}/",
            )
            log.info("token issued tenant=%s client_id=%s roles=%s", tenant_id, client_id, ",".join(sorted(roles)) or "-")
            context.log.record("login", "POST", urlsplit(self.path).path, 200, operation="token", app=client_id, duration_ms=elapsed_ms(started))
            self.send_json(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": context.token_lifetime,
                    "ext_expires_in": context.token_lifetime,
                    "access_token": token,
                },
                {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
            )

        def _check_token_request(self, tenant_key: str, form: dict[str, str]) -> tuple[list[str], str]:
            tenant = context.store.find_tenant(tenant_key)
            if tenant is None:
                # NOTE: the token endpoint's "error" value for an unknown tenant
                # is taken to be invalid_request (discovery sends invalid_tenant).
                raise errors.tenant_not_found(tenant_key, "invalid_request")
            grant_type = form.get("grant_type")
            if not grant_type:
                raise errors.missing_parameter("grant_type")
            if grant_type != "client_credentials":
                raise errors.unsupported_grant(grant_type)
            client_id = form.get("client_id")
            if not client_id:
                raise errors.missing_parameter("client_id")
            scope = form.get("scope")
            if not scope:
                raise errors.missing_parameter("scope")
            if len(scope.split()) != 1 or not scope.endswith("/.default"):
                raise errors.invalid_scope(scope)
            app = context.store.find_app(tenant, client_id)
            if app is None:
                raise errors.application_not_found(client_id, tenant_key)
            assertion = form.get("client_assertion")
            if not assertion:
                raise errors.missing_credential()
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise errors.invalid_assertion_type()
            base = context.urls["login"]
            audiences = tuple(
                dict.fromkeys(
                    [
                        f"{base}/{tenant.tenant_id}/oauth2/v2.0/token",
                        f"{base}/{tenant_key}/oauth2/v2.0/token",
                        f"{base}/{tenant.tenant_id}/v2.0",
                    ]
                )
            )
            verify_assertion(assertion, app=app, client_id=client_id, accepted_audiences=audiences, now=context.clock.now())
            return sorted(app.roles), tenant.tenant_id

        def _answer_error(self, error: errors.AadError, operation: str, app: str | None, started: float) -> None:
            log.info("login error AADSTS%d operation=%s client_id=%s", error.code, operation, app or "-")
            context.log.record(
                "login", self.command, urlsplit(self.path).path, error.status,
                operation=operation, app=app, error=f"AADSTS{error.code}", duration_ms=elapsed_ms(started),
            )
            self.send_json(error.status, error.body(context.clock.now()), {"Cache-Control": "no-store, no-cache"})

    return LoginHandler
