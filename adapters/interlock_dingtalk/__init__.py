"""The DingTalk-style adapter and its vendor double.

Read it in this order: ``plugin.py`` (registration), ``options.py`` (account options),
``adapter.py`` (the verbs), ``_client.py`` (HTTP, tokens), ``_interpret.py`` + ``_errors.py``
(reading answers, error translation), ``_mapping.py`` + ``_models.py`` (vendor ↔ neutral),
``_batch.py`` (native batch), ``_push.py`` + ``_crypto.py`` (HTTP event push), ``double/`` (the
simulated DingTalk). ``VENDOR_API.md`` lists every endpoint the double serves and where each
comes from.
"""
