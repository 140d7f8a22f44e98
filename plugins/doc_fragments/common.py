# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation shared by the mailsec.mar modules."""

from __future__ import annotations


class ModuleDocFragment:
    """The state directory option, the engine requirement and the check and diff attributes."""

    DOCUMENTATION = r"""
options:
  state_dir:
    description:
      - State directory of the engine host. It holds the applied configuration, secret files readable by
        their owner only, the tracking index, the ledger and the logs.
      - When not set, E(MAR_STATE_DIR) is used, else C(~/.local/state/mar). Playbooks pass the variable
        C(mar_state_dir) here.
    type: path
requirements:
  - The engine package C(mailsec-mar) (Python package C(mar_runner)) installed for the Python that runs the
    module, as the role C(mailsec.mar.mar_engine) installs it.
attributes:
  check_mode:
    description: Can run in check mode and return the change it would make without writing anything.
    support: full
  diff_mode:
    description: Returns the changed keys before and after; secret values appear only as C(<set>) or C(<changed>).
    support: full
"""

    READ_ONLY = r"""
options:
  state_dir:
    description:
      - State directory of the engine host whose applied configuration and outcomes are read.
      - When not set, E(MAR_STATE_DIR) is used, else C(~/.local/state/mar).
    type: path
requirements:
  - The engine package C(mailsec-mar) (Python package C(mar_runner)) installed for the Python that runs the
    module.
attributes:
  check_mode:
    description: Runs in check mode too, because it changes nothing.
    support: full
  diff_mode:
    description: Returns no diff, because it changes nothing.
    support: none
"""
