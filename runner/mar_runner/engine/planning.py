"""Per-recipient planning: the policy, the look-back check and the profiles to try."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

logger = logging.getLogger("mar.engine")


def normalize_domain(domain: str) -> str:
    """Return ``domain`` in lower case and in its IDNA (ASCII) form."""
    domain = domain.strip().rstrip(".").lower()
    if domain == "all":
        return "ALL"
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _pattern_matches(pattern: str, address: str) -> bool:
    pattern = pattern.strip().lower()
    local, _, domain = address.partition("@")
    if pattern.startswith("@"):
        return normalize_domain(pattern[1:]) == normalize_domain(domain)
    if pattern.endswith("@"):
        return pattern[:-1] == local
    return pattern == address


class PolicyResolver:
    """Resolve a recipient's policy in the documented order.

    The policy the tracking record names when it is configured; else the
    first policy whose ``recipients`` patterns match; else ``DEFAULT``;
    else none.
    """

    def __init__(self, policies: list[dict[str, Any]]) -> None:
        self.policies = list(policies or [])
        self.by_name = {policy["name"]: policy for policy in self.policies}
        self._unknown_logged: set[str] = set()

    def resolve(self, address: str, tracked_policy: str | None) -> dict[str, Any] | None:
        """Return the policy of ``address``, or None."""
        if tracked_policy:
            policy = self.by_name.get(tracked_policy)
            if policy is not None:
                return policy
            if tracked_policy not in self._unknown_logged:
                self._unknown_logged.add(tracked_policy)
                logger.warning(
                    "policy %r named in tracking is not configured; resolving by pattern", tracked_policy
                )
        address = address.lower()
        for policy in self.policies:
            patterns = policy.get("recipients") or []
            if any(_pattern_matches(pattern, address) for pattern in patterns):
                return policy
        return self.by_name.get("DEFAULT")


class ProfileResolver:
    """Map a recipient's domain to the ordered account profiles to try."""

    def __init__(
        self,
        mappings: list[dict[str, Any]],
        chains: list[dict[str, Any]],
        profiles: list[dict[str, Any]],
    ) -> None:
        self.profiles = {profile["name"]: profile for profile in profiles or []}
        self.chains = {chain["name"]: list(chain["profiles"]) for chain in chains or []}
        self.by_domain: dict[str, str] = {}
        for mapping in mappings or []:
            for domain in mapping["domains"]:
                self.by_domain[normalize_domain(domain)] = mapping["profile"]

    def mapped_name(self, address: str) -> str | None:
        """Return the profile or chain name mapped to the address's domain, else None."""
        domain = normalize_domain(address.rpartition("@")[2])
        return self.by_domain.get(domain) or self.by_domain.get("ALL")

    def profiles_for(self, address: str) -> list[str]:
        """Return the account profile names to try in order (empty: nothing mapped)."""
        name = self.mapped_name(address)
        if name is None:
            return []
        if name in self.chains:
            return self.chains[name]
        return [name]


@dataclass(frozen=True)
class RecipientPlan:
    """The decision for one recipient before any mailbox call."""

    address: str
    policy: dict[str, Any] | None
    skip_reason: str | None  # policy_disabled, not_delivered, outside_lookback
    profiles: list[str]


def delivery_time(delivery: Any, recipient: Any) -> datetime | None:
    """Return when the message reached the recipient (delivery time, else received time)."""
    return getattr(recipient, "delivered_at", None) or getattr(delivery, "received_at", None)


def plan_recipient(
    delivery: Any,
    recipient: Any,
    verdict_time: datetime | None,
    lookback: timedelta,
    policies: PolicyResolver,
    profiles: ProfileResolver,
) -> RecipientPlan:
    """Decide whether a recipient is skipped, failed without a call, or which profiles to try."""
    address = recipient.address.lower()
    policy = policies.resolve(address, getattr(recipient, "policy", None))
    remediation = (policy or {}).get("mailbox_auto_remediation") or {}
    if policy is None or not remediation.get("enabled"):
        return RecipientPlan(address, policy, "policy_disabled", [])
    if getattr(recipient, "status", "delivered") != "delivered":
        return RecipientPlan(address, policy, "not_delivered", [])
    when = delivery_time(delivery, recipient)
    if verdict_time is not None and when is not None and when < verdict_time - lookback:
        return RecipientPlan(address, policy, "outside_lookback", [])
    return RecipientPlan(address, policy, None, profiles.profiles_for(address))
