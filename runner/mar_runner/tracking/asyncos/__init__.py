"""Reader of AsyncOS text logs: mail logs, AMP engine logs and consolidated event (CEF) lines."""
