"""``operations.mine``: a caller's own recent operations, newest first, undoable while open."""

from __future__ import annotations

from interlock.models import SessionState
from interlock_gateway.operations.mine import my_operations
from interlock_gateway.policy import Caller
from interlock_gateway.store.tables import Role

from .harness import Harness


def _caller(name: str, principal_id: int = 1) -> Caller:
    return Caller(principal_id=principal_id, name=name, role=Role.ADMIN)


async def test_only_the_callers_own_newest_first_with_undo_while_open(harness: Harness) -> None:
    first = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    second = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    assert (await harness.verb("pause", first, who="admin")).status_code == 200
    harness.clock.advance(seconds=1)  # "newest first" needs two moments, not a tie on the id
    assert (await harness.verb("terminate", second, who="admin")).status_code == 200
    assert (
        await harness.verb(
            "pause", harness.session("Backend Engineer", SessionState.IN_PROGRESS), who="spec"
        )
    ).status_code == 200
    ctx = harness.runtime.context
    mine = await my_operations(ctx, _caller("admin"))
    assert [(m.op.session_id, m.op.verb) for m in mine] == [(second, "terminate"), (first, "pause")]
    assert [m.undoable for m in mine] == [True, False]
    harness.clock.advance(seconds=61)  # the undo window (60 s here) has closed
    assert [m.undoable for m in await my_operations(ctx, _caller("admin"))] == [False, False]
    assert await my_operations(ctx, _caller("nobody")) == []
