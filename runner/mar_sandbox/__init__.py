"""Local, stateful stand-ins for Entra ID, Microsoft Graph mail and Exchange Web Services."""
