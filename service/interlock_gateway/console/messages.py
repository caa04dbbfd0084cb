"""Words the console composes in Python: refusals by code, verbs, states, reasons.

Every text is an English msgid marked with :func:`N_` (so Babel extracts it) and translated
when shown. A refusal is shown as the message of its code in the user's language, the code
itself (what support asks for), and — collapsed — the gateway's English detail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interlock import errors

from ..problems import Problem, problem_of

__all__ = ["Refusal", "refusal_of"]


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message


#: Refusal code → what it means for the user (a msgid).
BY_CODE: dict[str, str] = {
    "ACCOUNT.NOT_FOUND": N_("That vendor account is not configured."),
    "APPROVAL.CANCELLED": N_("This approval was withdrawn with its batch."),
    "APPROVAL.EXPIRED": N_("This approval expired before anyone decided."),
    "APPROVAL.NOT_APPROVER": N_(
        "You may not decide this approval: it is outside your departments."
    ),
    "APPROVAL.NOT_FOUND": N_("This approval does not exist or you may not see it."),
    "APPROVAL.NOT_PENDING": N_("This approval was decided already."),
    "APPROVAL.REJECTED": N_("The approver rejected this request."),
    "APPROVAL.REQUEST_CHANGED": N_("The request changed after approval was asked for."),
    "APPROVAL.SELF_APPROVAL": N_("You asked for this yourself: another approver must decide."),
    "BATCH.CANCELLED": N_("The batch was cancelled."),
    "BATCH.CONFIRMATION_REQUIRED": N_("Preview the batch again and confirm it."),
    "BATCH.CONFIRM_TOKEN_EXPIRED": N_("The preview expired (after 5 minutes): preview again."),
    "BATCH.CONFIRM_TOKEN_INVALID": N_("The selection changed since the preview: preview again."),
    "BATCH.CONTENDED": N_("Other stops kept arriving on these sessions: try again."),
    "BATCH.DUPLICATE_SESSIONS": N_("A session was selected twice."),
    "BATCH.EMPTY": N_("No session matches: nothing to do."),
    "BATCH.NOT_CANCELLABLE": N_("The batch has finished and cannot be cancelled."),
    "BATCH.NOT_FOUND": N_("This batch does not exist or you may not see it."),
    "BATCH.NOT_PERMITTED": N_("Some selected sessions are outside your scope."),
    "BATCH.TOO_LARGE": N_("Too many sessions for one batch: narrow the filter."),
    "BATCH.UNKNOWN_ACCOUNTS": N_("That vendor account is not configured."),
    "CONSOLE.CSRF": N_(
        "The form expired or did not come from this console. Reload the page and try again."
    ),
    "CONSOLE.FIELD": N_("Check the highlighted field."),
    "INTERLOCK.POLICY_DENIED": N_("Your role may not do this."),
    "INTERLOCK.RATE_LIMITED": N_(
        "Too many actions in a short time: wait a moment, or use a batch."
    ),
    "OPERATION.ALREADY_UNDONE": N_("This was undone already; the session was given back."),
    "OPERATION.CONTESTED": N_(
        "The candidate was resumed at the vendor again and again; the stop gave up."
    ),
    "OPERATION.GAVE_UP": N_("The vendor kept failing; the operation gave up."),
    "OPERATION.NOT_FOUND": N_("This operation does not exist or you may not see it."),
    "OPERATION.NOT_UNDOABLE": N_("This cannot be undone now."),
    "OPERATION.UNDO_WINDOW_CLOSED": N_(
        "The undo window has closed; the stop is final at the vendor."
    ),
    "OPERATION.UNSUPPORTED": N_("This vendor cannot do that."),
    "REQUEST.INVALID_PAGE_TOKEN": N_("The page link is out of date: start from the first page."),
    "REQUEST.UNKNOWN_VENDOR": N_("No configured account uses that vendor."),
    "SESSION.INVALID_TRANSITION": N_("The session's state does not allow this any more."),
    "SESSION.NOT_FOUND": N_("This session does not exist or you may not see it."),
    "SESSION.PENDING_COMMIT": N_(
        "A stop is pending on this session: undo it first, or wait until it is final."
    ),
    "VENDOR.AUTH_FAILED": N_(
        "The vendor refused the gateway's credentials; an operator must fix them."
    ),
    "VENDOR.PERMISSION_DENIED": N_("The vendor app lacks a permission; an operator must grant it."),
    "VENDOR.RATE_LIMITED": N_("The vendor is busy: try again in a moment."),
    "VENDOR.UNAVAILABLE": N_("The vendor is not answering: try again later."),
    "VENDOR.ERROR": N_("The vendor refused the request."),
    "VENDOR.PROTOCOL_ERROR": N_("The vendor answered something the gateway cannot read."),
}
GENERIC = N_("The request was refused.")


@dataclass(frozen=True)
class Refusal:
    """A refusal as the console shows it."""

    message: str
    code: str
    detail: str
    field: str | None = None


def refusal_of(
    error: Problem | errors.InterlockError,
    gettext: Callable[[str], str],
    field: str | None = None,
) -> Refusal:
    """``error`` in the user's language, with its code and the gateway's own detail."""
    problem = error if isinstance(error, Problem) else problem_of(error)
    message = BY_CODE.get(problem.code) or BY_CODE.get(_family(problem.code)) or GENERIC
    return Refusal(gettext(message), problem.code, problem.detail, field)


def _family(code: str) -> str:
    return code.split(".", 1)[0] + ".ERROR"


VERBS = {
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "terminate": N_("Terminate"),
    "revoke": N_("Revoke"),
    "undo": N_("Undo"),
}
#: What each verb does to the candidate, in plain words (the confirm dialog's first line).
CONSEQUENCES = {
    "pause": N_(
        "The candidate is paused and can continue within 24 hours; answers so far are kept."
    ),
    "resume": N_("The candidate can continue the interview where they left off."),
    "terminate": N_("The candidate cannot continue. Answers and scores are kept."),
    "revoke": N_("The invitation is withdrawn: the candidate can no longer take this interview."),
}
STATES = {
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "paused": N_("Paused"),
    "completed": N_("Completed"),
    "terminated": N_("Terminated"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
    "unknown": N_("Unknown"),
}
PENDING_LABELS = {
    "terminate": N_("terminating at %(time)s"),
    "revoke": N_("revoking at %(time)s"),
}
AWAITING_LABELS = {
    "terminate": N_("terminate awaiting approval"),
    "revoke": N_("revoke awaiting approval"),
}
REASONS = {
    "operator_error": N_("Operator error"),
    "candidate_network": N_("Candidate network"),
    "candidate_device": N_("Candidate device"),
    "candidate_emergency": N_("Candidate emergency"),
    "process_change": N_("Hiring process changed"),
    "system_fault": N_("System fault"),
    "pause_expired": N_("Pause expired"),
    "other": N_("Other"),
}
STATUSES = {
    "pending": N_("Queued"),
    "in_flight": N_("Sending"),
    "grace": N_("In undo window"),
    "awaiting_approval": N_("Awaiting approval"),
    "succeeded": N_("Done"),
    "failed": N_("Failed"),
    "undone": N_("Undone"),
    "committed": N_("Final"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "running": N_("Running"),
    "completed": N_("Completed"),
    "approved": N_("Approved"),
    "expired": N_("Expired"),
}
ROLES = {
    "specialist": N_("specialist"),
    "manager": N_("manager"),
    "admin": N_("admin"),
    "auditor": N_("auditor"),
}
