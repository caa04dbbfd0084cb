"""Alembic migrations for the gateway schema (run with :func:`interlock_gateway.store.upgrade`)."""
