"""``AdapterContractSuite``: every concern class of the contract, composed into one base class."""

from __future__ import annotations

from interlock_contract.suites import (
    AuthContract,
    BatchContract,
    CallbacksContract,
    CapabilitiesContract,
    FaultMatrixContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    ObservabilityContract,
    PaginationAndFiltersContract,
    ReadFaultsContract,
    SessionReadsContract,
    VerbsContract,
)

__all__ = ["CONCERN_CLASSES", "AdapterContractSuite"]

CONCERN_CLASSES: tuple[type, ...] = (
    SessionReadsContract,
    PaginationAndFiltersContract,
    VerbsContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    BatchContract,
    FaultMatrixContract,
    ReadFaultsContract,
    AuthContract,
    CallbacksContract,
    ObservabilityContract,
    CapabilitiesContract,
)


class AdapterContractSuite(
    SessionReadsContract,
    PaginationAndFiltersContract,
    VerbsContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    BatchContract,
    FaultMatrixContract,
    ReadFaultsContract,
    AuthContract,
    CallbacksContract,
    ObservabilityContract,
    CapabilitiesContract,
):
    """The whole contract. Subclass it once (``class TestMyAdapterContract(...)``) and set
    ``adapter_name``; see :mod:`interlock_contract` for the details."""
