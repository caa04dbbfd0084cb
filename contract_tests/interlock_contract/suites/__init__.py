"""The concern classes of the contract suite, one module per concern group."""

from interlock_contract.suites.auth import AuthContract
from interlock_contract.suites.batch import BatchContract, NativeBatchContract
from interlock_contract.suites.callbacks import CallbacksContract
from interlock_contract.suites.capabilities import CapabilitiesContract
from interlock_contract.suites.diagnostics import DiagnosticsContract
from interlock_contract.suites.double import DoubleContract
from interlock_contract.suites.faults import FaultMatrixContract, ReadFaultsContract
from interlock_contract.suites.observability import ObservabilityContract
from interlock_contract.suites.races import RacesContract
from interlock_contract.suites.reads import (
    NotFoundReadsContract,
    PaginationAndFiltersContract,
    SessionReadsContract,
)
from interlock_contract.suites.signals import VendorSignalsContract
from interlock_contract.suites.verbs import (
    IdempotencyContract,
    InvalidTransitionContract,
    NotFoundVerbsContract,
    VerbsContract,
)

__all__ = [
    "AuthContract",
    "BatchContract",
    "CallbacksContract",
    "CapabilitiesContract",
    "DiagnosticsContract",
    "DoubleContract",
    "FaultMatrixContract",
    "IdempotencyContract",
    "InvalidTransitionContract",
    "NativeBatchContract",
    "NotFoundReadsContract",
    "NotFoundVerbsContract",
    "ObservabilityContract",
    "PaginationAndFiltersContract",
    "RacesContract",
    "ReadFaultsContract",
    "SessionReadsContract",
    "VendorSignalsContract",
    "VerbsContract",
]
