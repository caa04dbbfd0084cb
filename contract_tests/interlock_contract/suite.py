"""``AdapterContractSuite``: every concern class of the contract, composed into one base class."""

from __future__ import annotations

from interlock_contract.suites import (
    AuthContract,
    BatchContract,
    CallbacksContract,
    CapabilitiesContract,
    DiagnosticsContract,
    DoubleContract,
    FaultMatrixContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NativeBatchContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    ObservabilityContract,
    PaginationAndFiltersContract,
    RacesContract,
    ReadFaultsContract,
    SessionReadsContract,
    VendorSignalsContract,
    VerbsContract,
)

__all__ = ["CONCERN_CLASSES", "AdapterContractSuite"]

CONCERN_CLASSES: tuple[type, ...] = (
    DoubleContract,
    SessionReadsContract,
    PaginationAndFiltersContract,
    VerbsContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    BatchContract,
    NativeBatchContract,
    RacesContract,
    FaultMatrixContract,
    ReadFaultsContract,
    VendorSignalsContract,
    AuthContract,
    CallbacksContract,
    ObservabilityContract,
    DiagnosticsContract,
    CapabilitiesContract,
)


class AdapterContractSuite(
    DoubleContract,
    SessionReadsContract,
    PaginationAndFiltersContract,
    VerbsContract,
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundReadsContract,
    NotFoundVerbsContract,
    BatchContract,
    NativeBatchContract,
    RacesContract,
    FaultMatrixContract,
    ReadFaultsContract,
    VendorSignalsContract,
    AuthContract,
    CallbacksContract,
    ObservabilityContract,
    DiagnosticsContract,
    CapabilitiesContract,
):
    """The whole contract. Subclass it once (``class TestMyAdapterContract(...)``) and set
    ``adapter_name``; see :mod:`interlock_contract` for the details."""
