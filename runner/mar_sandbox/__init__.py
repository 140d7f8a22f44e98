"""Local, stateful stand-ins for Entra ID, Microsoft Graph mail and Exchange Web Services."""

from mar_sandbox.server import Sandbox

__all__ = ["Sandbox"]
