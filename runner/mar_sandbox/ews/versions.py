"""Exchange server versions the sandbox can pretend to be, and the request versions each accepts."""

from __future__ import annotations

from dataclasses import dataclass

# RequestServerVersion values from oldest to newest, as the EWS schema lists them.
_API_VERSIONS = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2015_SP1",
    "Exchange2016",
)


@dataclass(frozen=True)
class ServerProfile:
    """The ServerVersionInfo one Exchange release reports, and the newest request version it accepts."""

    name: str
    build: tuple[int, int, int, int]
    version_attribute: str
    newest_api_version: str

    def accepts(self, requested: str | None) -> bool:
        """Tell whether a RequestServerVersion value is one this release understands.

        A request without the header is served as the oldest schema, as Exchange does.
        """
        if requested is None:
            return True
        if requested not in _API_VERSIONS:
            return False
        return _API_VERSIONS.index(requested) <= _API_VERSIONS.index(self.newest_api_version)


# NOTE: build numbers are those of a late cumulative update of each release. The Version attribute
# differs between cumulative updates on real servers. 2016 and 2019 send dated strings such as
# V2017_07_11, which exchangelib 5.6 replaces with the version it requested.
PROFILES = {
    "exchange2013": ServerProfile("exchange2013", (15, 0, 1497, 2), "Exchange2013_SP1", "Exchange2013_SP1"),
    "exchange2016": ServerProfile("exchange2016", (15, 1, 2507, 6), "V2017_07_11", "Exchange2016"),
    "exchange2019": ServerProfile("exchange2019", (15, 2, 1118, 7), "V2017_07_11", "Exchange2016"),
}

DEFAULT_PROFILE = "exchange2016"


def profile_for(version: str | None) -> ServerProfile:
    """Return the profile for a seed's version name (exchange2013, exchange2016, exchange2019)."""
    key = (version or DEFAULT_PROFILE).lower().replace(" ", "").replace("_", "")
    if key not in PROFILES:
        raise ValueError(f"unknown Exchange version {version!r}: use exchange2013, exchange2016 or exchange2019")
    return PROFILES[key]
