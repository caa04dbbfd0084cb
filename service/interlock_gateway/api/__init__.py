"""The HTTP API: one router per resource, each route declaring its action.

To add a resource: create ``api/<resource>.py`` with ``router = APIRouter(prefix="/v1", ...)``,
give every route a caller parameter ``Annotated[Caller, Authorize(Action.…)]`` (add the action
to :class:`~interlock_gateway.policy.Action` and to the policy table), and list the module in
:data:`interlock_gateway.api.routers.ROUTERS`.
"""
