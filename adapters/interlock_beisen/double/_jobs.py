"""Asynchronous batch writes, the way Beisen runs them.

A batch write answers HTTP 200 at once (accepted, not done) with an ``X-PAAS-Request-ID``
header; ``GET /OpenPlatform/api/AsyncApiExecInfo/GetByRequestId?requestId=`` then reports
``data.state``: ``Running`` until the job has run, then ``AllSuccess``, ``PartialSuccess``,
``Fail`` or ``Overtime`` (documented, ``vendors.md`` §2.3).

A job really takes time here: it runs after ``polls_to_finish`` polls or ``run_time_s``
seconds, whichever comes first, and only then changes the world. ``Overtime`` is Beisen's
"the job outlived the polling limit"; per its docs that does not stop the business task, so an
overtimed job still applies its changes — the caller just cannot know from the record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from interlock.doubles import World
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import SessionState, Verb, utc_now

__all__ = ["AsyncJob", "AsyncJobs", "JobEnding", "verb_word"]

JobEnding = Literal["Overtime", "Hang", "Vanish", "Strange", "NoResult", "Miscount"]
"""A forced ending: ``Overtime`` (the job runs, the record says Overtime), ``Hang`` (Running
for ever), ``Vanish`` (the job runs, then its record is gone), ``Strange`` (it runs, and its
record names a state Beisen never documented), ``NoResult`` (a final state without its result)
and ``Miscount`` (a result that counts another number of items than were sent)."""

_WORDS = {Verb.PAUSE: "suspend", Verb.RESUME: "resume", Verb.TERMINATE: "terminate"}


def verb_word(verb: Verb) -> str:
    """The verb as the result's count fields spell it: ``suspendCount``, ``noSuspendCount``."""
    return _WORDS[verb]


@dataclass
class AsyncJob:
    """One accepted batch write."""

    request_id: str
    api: str
    verb: Verb
    ids: list[str]
    resume_deadline: datetime | None
    reason: str | None
    created_at: float
    created_wall: datetime
    ending: JobEnding | None = None
    polls: int = 0
    state: str = "Running"
    result: dict[str, Any] | None = None
    message: str | None = None
    finished_wall: datetime | None = None


@dataclass
class AsyncJobs:
    """The platform's job table (one tenant).

    :param polls_to_finish: the poll that first sees a final state (2: one Running answer).
    :param run_time_s: a job not polled enough finishes on its own after this long.
    """

    world: World
    polls_to_finish: int = 2
    run_time_s: float = 0.5
    clock: Callable[[], float] = time.monotonic
    shuffled: Callable[[list[str]], list[str]] = list
    """Puts each failure list in the vendor's (undocumented, so random) order."""
    jobs: dict[str, AsyncJob] = field(default_factory=dict)
    _forced: list[JobEnding] = field(default_factory=list)

    def end_next(self, ending: JobEnding, *, times: int = 1) -> None:
        """Make the next ``times`` submitted jobs end ``Overtime`` or hang in ``Running``."""
        self._forced.extend([ending] * times)

    def submit(
        self,
        request_id: str,
        api: str,
        verb: Verb,
        ids: list[str],
        resume_deadline: datetime | None = None,
        *,
        reason: str | None = None,
    ) -> AsyncJob:
        """Accept a job; the same request id again is the same job (idempotent submit)."""
        existing = self.jobs.get(request_id)
        if existing is not None:
            return existing
        job = AsyncJob(
            request_id=request_id,
            api=api,
            verb=verb,
            ids=list(dict.fromkeys(ids)),
            resume_deadline=resume_deadline,
            reason=reason,
            created_at=self.clock(),
            created_wall=utc_now(),
            ending=self._forced.pop(0) if self._forced else None,
        )
        self.jobs[request_id] = job
        return job

    def poll(self, request_id: str) -> AsyncJob | None:
        """The job's record as one poll sees it (counting the poll)."""
        job = self.jobs.get(request_id)
        if job is None:
            return None
        job.polls += 1
        if job.state == "Running" and job.polls >= self.polls_to_finish:
            self._finish(job)
        if job.ending == "Vanish" and job.state != "Running":
            del self.jobs[request_id]  # it ran; the record is gone before anyone read it
            return None
        return job

    def settle(self) -> None:
        """Run every job whose time has come (called on each request the double serves)."""
        now = self.clock()
        for job in self.jobs.values():
            if job.state == "Running" and now - job.created_at >= self.run_time_s:
                self._finish(job)

    def _finish(self, job: AsyncJob) -> None:
        if job.ending == "Hang":
            return
        lists: dict[str, list[str]] = {
            "interviewDeletedIds": [],
            "interviewStatusNotAllowedIds": [],
            "interviewResumeDeadlinePassedIds": [],
            "interviewAlreadyInTargetStatusIds": [],
        }
        changed = 0
        for session_id in job.ids:
            cause = self._apply_one(job, session_id)
            if cause is None:
                changed += 1
            else:
                lists[cause].append(session_id)
        lists = {cause: self.shuffled(ids) for cause, ids in lists.items()}
        word = verb_word(job.verb)
        total = len(job.ids)
        job.result = {
            "totalCount": total,
            f"{word}Count": changed,
            f"no{word.capitalize()}Count": total - changed,
            **lists,
        }
        failed = total - changed - len(lists["interviewAlreadyInTargetStatusIds"])
        job.state = "AllSuccess" if failed == 0 else "Fail" if failed == total else "PartialSuccess"
        job.message = None if failed == 0 else f"共{total}条，{failed}条处理失败"
        if job.ending == "Overtime":
            job.state, job.message = "Overtime", "任务执行超过轮询时间上限"
        elif job.ending == "Strange":
            job.state = "Suspended"
        elif job.ending == "NoResult":
            job.result = None
        elif job.ending == "Miscount":
            job.result["totalCount"] = total + 1
        job.finished_wall = utc_now()

    def _apply_one(self, job: AsyncJob, session_id: str) -> str | None:
        """Apply the job's verb to one interview; the failure list it belongs in, or None."""
        try:
            session = self.world.get(session_id)
        except SessionNotFound:
            return "interviewDeletedIds"
        if session.vendor_state_override is not None:
            return "interviewStatusNotAllowedIds"
        try:
            transition = self.world.apply(
                session_id, job.verb, resume_deadline=job.resume_deadline, reason=job.reason
            )
        except InvalidTransition:
            deadline_passed = (
                job.verb is Verb.RESUME
                and session.state is SessionState.PAUSED
                and session.resume_deadline is not None
            )
            return (
                "interviewResumeDeadlinePassedIds"
                if deadline_passed
                else "interviewStatusNotAllowedIds"
            )
        return "interviewAlreadyInTargetStatusIds" if transition.already_in_state else None
