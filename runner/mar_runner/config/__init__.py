"""Declared configuration: loading with positions, validation, and the applied-configuration store.

Public entry points:

- :func:`validate_config` (``validate``): check a loaded config dict, return issues.
- :func:`load_paths` (``sources``): read files or an inventory folder for ``marctl validate``.
- :class:`ConfigStore` (``store``): plan, apply and read back the applied config.
- ``values``: ``parse_duration`` and ``normalize_thumbprint``.
"""

from mar_runner.config.issues import ERROR, WARNING, Issue, has_errors
from mar_runner.config.store import ConfigStore, InvalidConfigError, Plan
from mar_runner.config.validate import CONFIG_VARS, SourceMap, validate_config

__all__ = [
    "CONFIG_VARS",
    "ConfigStore",
    "ERROR",
    "InvalidConfigError",
    "Issue",
    "Plan",
    "SourceMap",
    "WARNING",
    "has_errors",
    "validate_config",
]
