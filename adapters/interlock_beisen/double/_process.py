"""Beisen's documented recruiting-process endpoints: the process configuration and moving
applications between phases (``vendors.md`` §2.7, §7.2).

* ``GET Setting/GetProcessConfigById?processId=`` → ``processId, processCode, processName,
  scence, phaseList[{phaseId, phaseCode, phaseName, statuses[…]}]``; an unknown process →
  ``{"data":null,"code":404,"message":"根据ID未查询到流程"}``.
* ``POST Apply/TransferPhase`` with ``applyIds`` (≤ 100), ``phaseId``, ``statusId`` (required
  GUIDs), ``processId``, ``reasonId``/``reasonIds`` → ``code`` 200 with per-cause id lists; a
  process other than the applications' → code 400. Moving to the eliminated (淘汰) phase is
  Beisen's documented way to stop a candidate's process and "does not check the apply lock".

Where Beisen is silent (a decision): the tenant has one process, every application sits in its
AI-interview phase until moved, and a move changes the application only, not its interviews.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from interlock.doubles import World
from interlock_beisen.double._render import (
    NAMESPACE,
    PHASE_ID,
    PROCESS_ID,
    VENDOR_STATUS,
    apply_id_of,
    json_body,
    recruit,
    status_id_of,
)

__all__ = ["ELIMINATED_PHASE_ID", "ELIMINATED_STATUS_ID", "ProcessApi"]

ELIMINATED_PHASE_ID = str(uuid.uuid5(NAMESPACE, "phase:eliminated"))
ELIMINATED_STATUS_ID = str(uuid.uuid5(NAMESPACE, "status:eliminated"))
_MAX_IDS = 100
_OTHER_CAUSES = (
    "applicantDeleteApplyIds",
    "applicantBlackApplyIds",
    "applicantLockedApplyIds",
    "applyStatusChangedApplyIds",
    "applyOtherReasonRejectedApplyIds",
    "applyByHunterOrRPOUnAcceptedIds",
    "applyTransferRuleFailedApplyIds",
)


def process_config() -> dict[str, Any]:
    """The tenant's one recruiting process: the AI-interview phase and the eliminated phase."""
    interview_statuses = [
        {"statusId": status_id_of(status), "statusCode": status, "statusName": status}
        for status in VENDOR_STATUS.values()
    ]
    eliminated = [{"statusId": ELIMINATED_STATUS_ID, "statusCode": "Out", "statusName": "已淘汰"}]
    return {
        "processId": PROCESS_ID,
        "processCode": "F001",
        "processName": "校园招聘（AI面试）",
        "scence": 1,
        "phaseList": [
            {"phaseId": PHASE_ID, "phaseCode": "P01", "phaseName": "AI面试",
             "statuses": interview_statuses},
            {"phaseId": ELIMINATED_PHASE_ID, "phaseCode": "P99", "phaseName": "淘汰",
             "statuses": eliminated},
        ],
    }  # fmt: skip


class ProcessApi:
    """The process endpoints over one tenant's world; remembers where applications were moved."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.placements: dict[str, tuple[str, str]] = {}
        """applyId → (phaseId, statusId) after a transfer."""

    async def get_process_config(self, request: httpx.Request, rid: str) -> httpx.Response:
        process_id = request.url.params.get("processId", "")
        if not _is_guid(process_id):
            raise ValueError("processId格式不正确，应为GUID")
        if str(uuid.UUID(process_id)) != PROCESS_ID:
            return recruit(code=404, message="根据ID未查询到流程")
        return recruit(process_config())

    async def transfer_phase(self, request: httpx.Request, rid: str) -> httpx.Response:
        body = json_body(request)
        apply_ids = body.get("applyIds")
        if not isinstance(apply_ids, list) or not apply_ids:
            raise ValueError("applyIds不能为空")
        if len(apply_ids) > _MAX_IDS:
            return recruit(code=400, message="一次最多允许操作100个")
        phase, status = body.get("phaseId"), body.get("statusId")
        if not (_is_guid(phase) and _is_guid(status)):
            raise ValueError("phaseId和statusId必须是GUID")
        process = body.get("processId")
        if process not in (None, "") and str(process).lower() != PROCESS_ID:
            return recruit(code=400, message="要转移的流程和当前流程不一致，不允许转移")
        if (str(phase).lower(), str(status).lower()) not in _targets():
            return recruit(code=400, message="目标阶段或状态不存在")
        return recruit(self._transfer(apply_ids, str(phase).lower(), str(status).lower()))

    def _transfer(self, apply_ids: list[Any], phase: str, status: str) -> dict[str, Any]:
        known = {apply_id_of(s.id) for s in self.world.sessions.values()}
        deleted = [a for a in apply_ids if str(a).lower() not in known]
        for apply_id in apply_ids:
            if str(apply_id).lower() in known:
                self.placements[str(apply_id).lower()] = (phase, status)
        moved = len(apply_ids) - len(deleted)
        return {
            "totalCount": len(apply_ids),
            "transferCount": moved,
            "noTransferCount": len(deleted),
            "applyDeleteApplyIds": deleted,
            **{cause: [] for cause in _OTHER_CAUSES},
        }


def _targets() -> set[tuple[str, str]]:
    return {
        (phase["phaseId"], status["statusId"])
        for phase in process_config()["phaseList"]
        for status in phase["statuses"]
    }


def _is_guid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
