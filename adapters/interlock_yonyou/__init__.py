"""The Yonyou (YonBIP) adapter and its vendor double.

YonBIP publishes no interview API; a tenant publishes one on its YonBIP gateway. Read in this
order: ``plugin.py`` (registration), ``adapter.py`` (the verbs), ``_client.py`` (discovery,
signed token, query-string token, error translation), ``_errors.py`` (the code tables),
``_mapping.py`` (vendor ↔ neutral, tenant-local times), ``_batch.py``, ``_push.py`` (event
push), ``double/`` (the simulated platform). ``VENDOR_API.md`` documents every endpoint.
"""
