"""The Interlock gateway: HTTP API, policy, persistence, worker, audit trail and CLI."""
