"""Notification texts per event × language, rendered in a Jinja2 sandbox.

The defaults ship here; an admin overrides any of them with a file
``<templates_dir>/<event>.<lang>.txt`` (first line the subject, then a blank line, then the
body). Templates run in a :class:`~jinja2.sandbox.SandboxedEnvironment` with
``StrictUndefined``: a template can read the context's values and nothing else, and a
misspelt name fails instead of rendering empty.

Candidate-facing templates never see internal reason codes: their context is a whitelist
(masked name, the verb, deadlines, the resume link) plus ``reason_text``, a neutral sentence
("operator error" becomes an apology). HR-facing templates see everything in the payload.

A template that fails to render (syntax error, unknown name, sandbox violation) falls back to
the shipped default and :meth:`Templates.render` says so, so that the caller reports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["LANGUAGES", "Rendered", "Templates", "candidate_context"]

log = logging.getLogger("interlock.gateway.notifications")
LANGUAGES = ("zh-CN", "en")

# (subject, body) per event and language. Candidate-facing events: session.*.
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "operation.finished": {
        "en": (
            "Interlock: {{ verb }} of session {{ session_id }} {{ status }}",
            "Your {{ verb }} of session {{ session_id }} ({{ account }}) ended: {{ status }}"
            "{% if outcome %} ({{ outcome }}){% endif %}.\n"
            "Reason: {{ reason_code or '-' }}.{% if error_code %} Error: {{ error_code }}."
            "{% endif %}\nOperation {{ operation_id }}.",
        ),
        "zh-CN": (
            "Interlock：会话 {{ session_id }} 的 {{ verb }} 操作已{{ status }}",
            "您对会话 {{ session_id }}（{{ account }}）发起的 {{ verb }} 操作已结束：{{ status }}"
            "{% if outcome %}（{{ outcome }}）{% endif %}。\n"
            "原因：{{ reason_code or '-' }}。{% if error_code %}错误：{{ error_code }}。{% endif %}\n"
            "操作编号 {{ operation_id }}。",
        ),
    },
    "approval.requested": {
        "en": (
            "Interlock: approval needed for {{ verb }} of session {{ session_id }}",
            "{{ requester }} asks to {{ verb }} session {{ session_id }} ({{ account }}), "
            "reason {{ reason_code }}. Approval {{ approval_id }}.",
        ),
        "zh-CN": (
            "Interlock：会话 {{ session_id }} 的 {{ verb }} 操作待审批",
            "{{ requester }} 申请对会话 {{ session_id }}（{{ account }}）执行 {{ verb }}，"
            "原因 {{ reason_code }}。审批编号 {{ approval_id }}。",
        ),
    },
    "approval.decided": {
        "en": (
            "Interlock: your {{ verb }} of session {{ session_id }} was {{ decision }}",
            "Approval {{ approval_id }} of your {{ verb }} of session {{ session_id }}: "
            "{{ decision }}.",
        ),
        "zh-CN": (
            "Interlock：会话 {{ session_id }} 的 {{ verb }} 审批结果：{{ decision }}",
            "您对会话 {{ session_id }} 的 {{ verb }} 申请（审批 {{ approval_id }}）：{{ decision }}。",
        ),
    },
    "batch.finished": {
        "en": (
            "Interlock: batch {{ batch_id }} finished",
            "Your batch {{ batch_id }} ({{ action }}) finished: {{ status }}. Counts: {{ counts }}.",
        ),
        "zh-CN": (
            "Interlock：批量操作 {{ batch_id }} 已完成",
            "您的批量操作 {{ batch_id }}（{{ action }}）已完成：{{ status }}。统计：{{ counts }}。",
        ),
    },
    "candidate.paused": {
        "en": (
            "Interlock: candidate {{ candidate_masked }} left session {{ session_id }}",
            "The vendor reports that candidate {{ candidate_masked }} left or paused session "
            "{{ session_id }} ({{ account }}). A resume link was issued"
            "{% if resume_deadline %}, valid until {{ resume_deadline }}{% endif %}.",
        ),
        "zh-CN": (
            "Interlock：候选人 {{ candidate_masked }} 离开了会话 {{ session_id }}",
            "供应商报告候选人 {{ candidate_masked }} 离开或暂停了会话 {{ session_id }}"
            "（{{ account }}）。已生成继续面试链接"
            "{% if resume_deadline %}，有效期至 {{ resume_deadline }}{% endif %}。",
        ),
    },
    "candidate.needs_time": {
        "en": (
            "Interlock: candidate {{ candidate_masked }} needs another time",
            "Candidate {{ candidate_masked }} of session {{ session_id }} ({{ account }}) asked "
            "for another time. Please contact them to reschedule.",
        ),
        "zh-CN": (
            "Interlock：候选人 {{ candidate_masked }} 需要改约时间",
            "会话 {{ session_id }}（{{ account }}）的候选人 {{ candidate_masked }} 请求改约时间，"
            "请联系候选人重新安排。",
        ),
    },
    "task.created": {
        "en": (
            "Interlock: manual task for session {{ session_id }}",
            "Please {{ verb }} session {{ session_id }} in the {{ vendor }} console "
            "({{ account }}) by {{ due_at }}, then mark task {{ task_id }} done.\n"
            "{{ instructions }}",
        ),
        "zh-CN": (
            "Interlock：会话 {{ session_id }} 的人工任务",
            "请在 {{ due_at }} 前于 {{ vendor }} 后台（{{ account }}）对会话 {{ session_id }} 执行"
            " {{ verb }}，完成后将任务 {{ task_id }} 标记为完成。\n{{ instructions }}",
        ),
    },
    "session.paused": {
        "en": (
            "Your AI interview is paused",
            "Hello {{ candidate_masked }}, your AI interview is paused. {{ reason_text }}\n"
            "{% if resume_url %}You can continue it until {{ resume_deadline }} here: "
            "{{ resume_url }}{% else %}Please contact HR to reschedule.{% endif %}",
        ),
        "zh-CN": (
            "您的 AI 面试已暂停",
            "{{ candidate_masked }}，您好：您的 AI 面试已暂停。{{ reason_text }}\n"
            "{% if resume_url %}您可在 {{ resume_deadline }} 前通过此链接继续面试："
            "{{ resume_url }}{% else %}请联系 HR 重新安排。{% endif %}",
        ),
    },
    "session.resumed": {
        "en": (
            "Your AI interview can continue",
            "Hello {{ candidate_masked }}, your AI interview can continue now.",
        ),
        "zh-CN": (
            "您的 AI 面试可以继续",
            "{{ candidate_masked }}，您好：您的 AI 面试现在可以继续了。",
        ),
    },
    "session.terminated": {
        "en": (
            "Your AI interview has ended",
            "Hello {{ candidate_masked }}, your AI interview has ended. {{ reason_text }} "
            "HR will contact you about the next steps.",
        ),
        "zh-CN": (
            "您的 AI 面试已结束",
            "{{ candidate_masked }}，您好：您的 AI 面试已结束。{{ reason_text }}HR 会与您联系后续安排。",
        ),
    },
    "session.revoked": {
        "en": (
            "Your AI interview invitation was withdrawn",
            "Hello {{ candidate_masked }}, your AI interview invitation was withdrawn. "
            "{{ reason_text }} HR will contact you.",
        ),
        "zh-CN": (
            "您的 AI 面试邀请已撤回",
            "{{ candidate_masked }}，您好：您的 AI 面试邀请已撤回。{{ reason_text }}HR 会与您联系。",
        ),
    },
}

# Neutral sentences for candidates, by reason code: the candidate's own circumstances are
# named kindly; everything internal (operator error, process change, system fault, other)
# becomes one apology.
_NEUTRAL = {
    "en": {
        "candidate_network": "It seems your network connection was interrupted.",
        "candidate_device": "It seems your device had a problem.",
        "candidate_emergency": "We understand something came up.",
        "_": "We apologise for the inconvenience.",
    },
    "zh-CN": {
        "candidate_network": "您的网络连接似乎中断了。",
        "candidate_device": "您的设备似乎出现了问题。",
        "candidate_emergency": "我们理解您遇到了突发情况。",
        "_": "给您带来不便，我们深表歉意。",
    },
}
_CANDIDATE_KEYS = ("candidate_masked", "verb", "resume_deadline", "resume_url", "event")


def candidate_context(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """What a candidate-facing template may see: no reason code, no internal names."""
    neutral = _NEUTRAL.get(language, _NEUTRAL["en"])
    context = {key: payload.get(key) for key in _CANDIDATE_KEYS}
    context["candidate_masked"] = context["candidate_masked"] or ""
    context["resume_deadline"] = _readable(context["resume_deadline"])
    context["reason_text"] = neutral.get(str(payload.get("reason_code")), neutral["_"])
    return context


def _readable(moment: Any) -> Any:
    """``2026-12-05 08:39 UTC`` from an ISO 8601 text (anything else unchanged)."""
    if not isinstance(moment, str):
        return moment
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered text; ``failed`` names why the admin's template was not used."""

    subject: str
    body: str
    failed: str | None = None


class Templates:
    """The defaults and an admin's overrides, rendered in one sandbox."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

    def _override(self, event: str, language: str) -> tuple[str, str] | None:
        if self.directory is None:
            return None
        path = self.directory / f"{event}.{language}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        subject, _, body = text.partition("\n")
        return subject.strip(), body.lstrip("\n")

    def _default(self, event: str, language: str) -> tuple[str, str]:
        by_language = DEFAULTS.get(event) or {
            "en": ("Interlock: {{ event }}", "{{ event }}"),
            "zh-CN": ("Interlock：{{ event }}", "{{ event }}"),
        }
        return by_language.get(language) or by_language["en"]

    def _render(self, source: tuple[str, str], context: dict[str, Any]) -> tuple[str, str]:
        subject = self._env.from_string(source[0]).render(context)
        body = self._env.from_string(source[1]).render(context)
        return " ".join(subject.split()), body

    def render(self, event: str, language: str, audience: str, payload: dict[str, Any]) -> Rendered:
        """The subject and body of ``event`` for ``audience``; an override that fails to
        render falls back to the default (``failed`` says why, without any value)."""
        context = candidate_context(payload, language) if audience == "candidate" else dict(payload)
        override = self._override(event, language)
        failed = None
        if override is not None:
            try:
                return Rendered(*self._render(override, context))
            except (TemplateError, ValueError, TypeError) as exc:
                failed = f"{type(exc).__name__}"
                log.warning(
                    "template %s.%s failed to render (%s); the default text was sent",
                    event,
                    language,
                    failed,
                )
        try:
            return Rendered(*self._render(self._default(event, language), context), failed)
        except TemplateError as exc:  # a default missing a value the payload lacks
            return Rendered(f"Interlock: {event}", f"{event}", failed or type(exc).__name__)
