"""The sandbox vendor double: an in-memory interview vendor with a plain JSON API."""

from interlock_sandbox.double._app import SandboxDouble

__all__ = ["SandboxDouble"]
