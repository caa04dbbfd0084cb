"""The confirm dialog of one verb on one session, built from the preview, and acting on it.

The dialog says what the verb does in plain words, whether the candidate is answering now,
whether approval is needed and who can give it; the reason is mandatory. Acting goes through
the same ``accept`` as ``POST /v1/.../{verb}``; the form's one-time key is the operation's
idempotency key, so a double submit finds the first operation instead of making a second.
"""

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from interlock import errors
from interlock.models import ACCOUNT_NAME_PATTERN, Reason, ReasonCode, Session, SessionRef, Verb

from ..operations import accept as accepting
from ..operations.previews import BatchAsk, Preview, preview
from ..operations.resolve import Selection
from ..operations.sessions import read_visible
from ..operations.tokens import request_digest
from ..problems import Problem
from .gate import Allow
from .messages import CONSEQUENCES, N_, VERBS, Refusal, refusal_of
from .reasons import CLIENT_REASONS, ReasonForm
from .rows import MENU_VERBS
from .web import (
    ConsoleUser,
    Page,
    check_csrf,
    context_of,
    dispatcher_of,
    gettext,
    limiter_of,
    page_of,
    redirect,
    render,
    safe_next,
    with_param,
)

__all__ = ["router"]

router = APIRouter()
_RATE = "INTERLOCK.RATE_LIMITED"


def _ref(account: str, session_id: str) -> SessionRef:
    try:
        ref = SessionRef(account=account, session_id=session_id)
    except ValueError:
        raise Problem(404, "SESSION.NOT_FOUND", "Not found", "no such session") from None
    if not re.match(ACCOUNT_NAME_PATTERN, account):
        raise Problem(404, "SESSION.NOT_FOUND", "Not found", "no such session")
    return ref


async def _dialog(
    request: Request, page: Page, ref: SessionRef, verb: Verb
) -> tuple[Session, Preview]:
    """The session (read once, checked by the policy) and the preview of the verb on it."""
    assert page.user is not None
    ctx = context_of(request)
    session, _ = await read_visible(ctx, page.user.caller, accepting.ACTION_OF[verb], ref)
    body = {"console": "single", "action": verb.value, "sessions": [ref.name]}
    ask = BatchAsk(
        action=verb,
        selection=Selection(names=(ref.name,)),
        reason=Reason(code=ReasonCode.OPERATOR_ERROR),  # the reason is chosen in the dialog
        digest=request_digest(body),
    )
    return session, await preview(ctx, page.user.caller, ask)


def _show(
    request: Request,
    page: Page,
    session: Session,
    found: Preview,
    verb: Verb,
    reason: ReasonForm,
    *,
    form_key: str,
    return_to: str,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    _ = gettext(page)
    ctx = context_of(request)
    supported = ctx.adapter(session.ref.account).capabilities.supports(verb)
    return render(
        page,
        "confirm.html",
        status=status,
        session=session,
        vendor=ctx.vendor_of(session.ref.account),
        verb=verb.value,
        verb_label=_(VERBS[verb.value]),
        consequence=_(CONSEQUENCES[verb.value]),
        preview=found,
        supported=supported,
        approvers=_approvers(page, session) if found.needs_approval else None,
        reasons=CLIENT_REASONS,
        reason=reason,
        form_key=form_key,
        return_to=return_to,
        refusal=refusal,
    )


def _approvers(page: Page, session: Session) -> str:
    _ = gettext(page)
    department = session.position.department
    if department:
        text: str = _(N_("a manager of department %(department)s, or an admin"))
        return text % {"department": department}
    admin: str = _(N_("an admin"))
    return admin


async def _confirm_page(
    request: Request, user: ConsoleUser, account: str, session_id: str, verb: Verb
) -> Response:
    page = page_of(request, user)
    ref = _ref(account, session_id)
    try:
        session, found = await _dialog(request, page, ref, verb)
    except (Problem, errors.InterlockError) as error:
        return render(page, "error.html", status=404, refusal=refusal_of(error, gettext(page)))
    blank = ReasonForm(code="", note="")
    return_to = safe_next(request.query_params.get("return_to") or "/console/sessions")
    key = secrets.token_urlsafe(16)
    return _show(request, page, session, found, verb, blank, form_key=key, return_to=return_to)


async def _act(
    request: Request, user: ConsoleUser, account: str, session_id: str, verb: Verb
) -> Response:
    page = page_of(request, user)
    ref = _ref(account, session_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    _ = gettext(page)
    reason = ReasonForm.parse(form, _)
    form_key = form.get("form_key", "")[:64] or secrets.token_urlsafe(16)
    return_to = safe_next(form.get("return_to"))
    refusal: Refusal | None = None
    if not reason.errors:
        try:
            op_id = await _accept(request, user, ref, verb, reason, form_key)
        except (Problem, errors.InterlockError) as error:
            refusal = refusal_of(error, _)
        else:
            return redirect(_with_done(return_to, op_id))
    try:
        session, found = await _dialog(request, page, ref, verb)
    except (Problem, errors.InterlockError) as error:
        return render(page, "error.html", status=409, refusal=refusal_of(error, _))
    return _show(
        request,
        page,
        session,
        found,
        verb,
        reason,
        form_key=form_key,
        return_to=return_to,
        refusal=refusal,
        status=422 if reason.errors else 409,
    )


def _route_verb(verb: Verb) -> None:
    """The confirm page and the form post of ``verb``: one route each, declaring the verb's
    action (as ``POST /v1/.../{verb}`` does), so the role is checked before anything runs."""
    User = Annotated[ConsoleUser, Allow(accepting.ACTION_OF[verb])]
    path = f"/sessions/{{account}}/{{session_id}}/{verb.value}"

    async def confirm_page(request: Request, user: User, account: str, session_id: str) -> Response:
        return await _confirm_page(request, user, account, session_id, verb)

    async def act(request: Request, user: User, account: str, session_id: str) -> Response:
        return await _act(request, user, account, session_id, verb)

    router.add_api_route(
        path, confirm_page, methods=["GET"], response_class=HTMLResponse, name=f"confirm_{verb}"
    )
    router.add_api_route(path, act, methods=["POST"], response_class=HTMLResponse, name=verb)


for _verb in MENU_VERBS:
    _route_verb(_verb)


async def _accept(
    request: Request, user: ConsoleUser, ref: SessionRef, verb: Verb, form: ReasonForm, key: str
) -> str:
    ctx, caller = context_of(request), user.caller
    earlier = await accepting.find_by_key(ctx, caller, f"console-{key}")
    if earlier is not None:  # the same form sent twice: show the first operation
        return earlier.op.id
    reason = form.reason()
    await accepting.check_supported(ctx, caller, verb, ref, reason)
    wait = limiter_of(request).acquire(caller.principal_id)
    if wait is not None:
        raise Problem(429, _RATE, "Too many mutations", f"retry in {wait:.0f} s")
    accepted = await accepting.accept(
        ctx, dispatcher_of(request), caller, verb, ref, reason, idempotency_key=f"console-{key}"
    )
    if accepted.refused:
        assert accepted.op.error_code is not None
        raise Problem(
            409, accepted.op.error_code, "Refused", accepted.op.error_message or "refused"
        )
    return accepted.op.id


def _with_done(return_to: str, op_id: str) -> str:
    return with_param(return_to, "done", op_id)
