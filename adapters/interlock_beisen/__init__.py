"""The Beisen-style adapter (北森 iTalent RecruitV6) and its vendor double.

Read it in this order: ``plugin.py`` (registration), ``adapter.py`` (the verbs),
``_batch.py`` and ``_jobs.py`` (asynchronous batch writes), ``_client.py`` / ``_auth.py``
(HTTP, both token endpoints), ``_interpret.py`` + ``_errors.py`` (every error layer),
``_mapping.py`` / ``_models.py`` (vendor ↔ neutral), ``double/`` (the simulated vendor), and
``VENDOR_API.md`` (what Beisen documents and what is a Beisen-style extension).
"""
