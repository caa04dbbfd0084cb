"""The operation lifecycle: everything an operation goes through, from acceptance to its end.

Single operations and batch items alike: accepted here (:mod:`.accept`, :mod:`.batches`), built
by one row builder with one hold rule (:mod:`.rows`), moved through their phases by the rules
of :mod:`.phases`, held for approval (:mod:`.approvals`), undone (:mod:`.undo`), cancelled,
reported to observers exactly once (:mod:`.observers`). The worker carries the phases out;
the HTTP layer only translates. Nothing here knows HTTP or imports the runtime: every function
receives the :class:`~.context.Context` (database, audit trail, facade, settings) it needs.
"""
