"""Helpers of the sandbox integration tests: a Graph client with a token from the real msal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import requests

from mar_sandbox.testing import APP_FULL, client_session, graph_token


@dataclass
class GraphClient:
    """requests against the sandbox's Graph endpoint with one app's token."""

    base: str
    session: requests.Session
    token: str
    ca_file: str

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.base + path, headers=headers, verify=self.ca_file, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def find(self, mailbox: str, message_id: str) -> list[dict]:
        value = quote(f"internetMessageId eq '{message_id.replace(chr(39), chr(39) * 2)}'", safe="")
        answer = self.get(f"/users/{mailbox}/messages?$filter={value}&$select=id,subject,internetMessageId,parentFolderId,hasAttachments")
        assert answer.status_code == 200, answer.text
        return answer.json()["value"]


_tokens: dict[tuple[str, str, str], str] = {}


def make_graph_client(sandbox, client_id: str = APP_FULL) -> GraphClient:
    """Return a client with a token from msal; tokens are reused while the tenants of the seed stay the same."""
    tenants = hashlib.sha256(json.dumps(sandbox.seed_copy().get("tenants", []), sort_keys=True).encode()).hexdigest()
    key = (sandbox.login_url, client_id, tenants)
    if key not in _tokens:
        _tokens[key] = graph_token(sandbox, client_id)
    return GraphClient(sandbox.graph_url + "/v1.0", client_session(sandbox.ca_file), _tokens[key], sandbox.ca_file)


@pytest.fixture
def graph(sandbox) -> GraphClient:
    """A Graph client for the app with Mail.ReadWrite and Mail.Send."""
    return make_graph_client(sandbox)


def folder_messages(sandbox, address: str, well_known_or_path: str) -> list[dict]:
    """Return the inspected messages of one folder (by well-known name or path)."""
    for folder in sandbox.inspect(address)["folders"]:
        if folder["well_known"] == well_known_or_path or folder["path"] == well_known_or_path:
            return folder["messages"]
    raise AssertionError(f"no folder {well_known_or_path} in {address}")


def graph_error(answer: requests.Response) -> tuple[int, str, str]:
    error = answer.json()["error"]
    return answer.status_code, error["code"], error["message"]
