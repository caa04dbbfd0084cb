"""Audit witnesses shipped with Interlock: an append-only file and a signed webhook."""
