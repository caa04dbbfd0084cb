"""The DingTalk-style adapter and its vendor double.

Read it in this order: ``plugin.py`` (registration), ``options.py`` (account options),
``adapter.py`` (the verbs), ``_client.py`` + ``_errors.py`` (HTTP, tokens, error translation),
``_mapping.py`` + ``_models.py`` (vendor ↔ neutral), ``_batch.py`` (native batch),
``_callback.py`` + ``_crypto.py`` + ``_events.py`` (HTTP event push), ``double/`` (the simulated
DingTalk). ``VENDOR_API.md`` lists every endpoint the double serves and where each comes from.
"""
