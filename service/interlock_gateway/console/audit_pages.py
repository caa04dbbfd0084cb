"""The audit trail for auditors and admins: filters, one page of records, the verify result,
and exports (CSV with a UTF-8 BOM so Excel reads Chinese correctly, and JSONL) — the same
``reports.audit_log`` reads as ``/v1/audit``, in one snapshot each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from interlock import errors

from ..audit import AuditFilter
from ..policy import Action
from ..problems import Problem
from ..reports import audit_log
from ..reports.audit_log import ExportFormat
from .gate import Allow, also_allowed
from .i18n import Formats
from .messages import N_, refusal_of
from .web import ConsoleUser, context_of, gettext, page_of, render

__all__ = ["router"]

router = APIRouter()
FIELDS = ("actor", "account", "session", "action", "outcome", "from", "to")
_MEDIA = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSONL: "application/x-ndjson"}
_BOM = "\ufeff"
_BAD_TIME = N_("Enter a date and time, e.g. 2026-12-03 14:30.")
_ORDER = N_("'From' must be before 'to'.")
_TOO_LONG = N_("At most 200 characters.")


def _filter(
    params: dict[str, str], fmt: Formats, gettext_: object
) -> tuple[AuditFilter | None, dict[str, str]]:
    _ = gettext_  # the user's gettext
    errors_: dict[str, str] = {}
    times: dict[str, datetime] = {}
    for name in ("from", "to"):
        if params[name]:
            try:
                times[name] = fmt.from_local_input(params[name])
            except ValueError:
                errors_[name] = _(_BAD_TIME)  # type: ignore[operator]
    if "from" in times and "to" in times and times["from"] >= times["to"]:
        errors_["from"] = _(_ORDER)  # type: ignore[operator]
    for name in ("actor", "account", "session", "action", "outcome"):
        if len(params[name]) > 200:
            errors_[name] = _(_TOO_LONG)  # type: ignore[operator]
    if errors_:
        return None, errors_
    found = AuditFilter(
        actor=params["actor"] or None,
        account=params["account"] or None,
        session_id=params["session"] or None,
        action=params["action"] or None,
        outcome=params["outcome"] or None,
        since=times.get("from"),
        until=times.get("to"),
    )
    return found, errors_


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.AUDIT_READ)]
) -> Response:
    page = page_of(request, user)
    ctx, _ = context_of(request), gettext(page)
    values = {name: (request.query_params.get(name) or "").strip() for name in FIELDS}
    found, field_errors = _filter(values, page.fmt, _)
    records, next_token, refusal = [], None, None
    if found is not None:
        try:
            result = await audit_log.page(
                ctx, found, page_size=50, page_token=request.query_params.get("page_token")
            )
        except (Problem, errors.InterlockError) as error:
            refusal = refusal_of(error, _)
        else:
            records, next_token = result.records, result.next_page_token
    verified = None
    if request.query_params.get("verify") == "1":
        await also_allowed(request, user, Action.AUDIT_VERIFY)  # 403 page otherwise
        verified = await audit_log.verify(ctx)
    export_query = "&".join(f"{k}={request.query_params[k]}" for k in FIELDS if values[k])
    return render(
        page,
        "audit.html",
        values=values,
        errors=field_errors,
        records=records,
        next_token=next_token,
        refusal=refusal,
        verified=verified,
        export_query=export_query,
    )


@router.get("/audit/export.{form}")
async def export(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.AUDIT_READ)], form: str
) -> Response:
    page = page_of(request, user)
    try:
        fmt = ExportFormat(form)
    except ValueError:
        return Response(status_code=404)
    values = {name: (request.query_params.get(name) or "").strip() for name in FIELDS}
    found, field_errors = _filter(values, page.fmt, gettext(page))
    if found is None:
        problem = Problem(422, "CONSOLE.FIELD", "Invalid filter", "; ".join(field_errors))
        return render(page, "error.html", status=422, refusal=refusal_of(problem, gettext(page)))
    ctx = context_of(request)
    chunks = await audit_log.export(ctx, user.caller, found, fmt)
    stamp = ctx.clock().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        _encoded(chunks, bom=fmt is ExportFormat.CSV),
        media_type=_MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="interlock-audit-{stamp}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


async def _encoded(chunks: AsyncIterator[str], *, bom: bool) -> AsyncIterator[bytes]:
    if bom:  # Excel takes a BOM-less CSV for the local code page and garbles Chinese
        yield _BOM.encode()
    async for chunk in chunks:
        yield chunk.encode()
