"""The CLI's exit codes (stable): 0 allow, 10 warn, 20 block, 2 usage error (including unreadable
--history, --labels or --policy files, or an audit log that is missing or unreadable), 3 invalid
request, 4 environment failure (node unreachable, anvil missing), 5 an audit log that fails
verification, 1 only for a crash, 141 when the reader of the output went away."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_INVALID_REQUEST = 3
EXIT_ENVIRONMENT = 4
EXIT_AUDIT_BROKEN = 5
"""``txfirewall audit verify``: edited, deleted, reordered, forged or torn lines were found."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, what a shell reports for a writer whose reader (``| head``) exited first."""
