"""The sandbox adapter: Interlock's tutorial adapter, backed by an in-memory vendor double.

Read it in this order: ``plugin.py`` (registration), ``adapter.py`` (the verbs),
``_client.py`` (HTTP + error translation), ``_mapping.py`` (vendor ↔ neutral),
``_models.py`` (tolerant vendor payloads), ``double/`` (the simulated vendor).
"""
