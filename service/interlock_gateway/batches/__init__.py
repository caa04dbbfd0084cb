"""Batches: previews with confirm tokens, durable batches of operations, and their engine.

* :mod:`.preview` — the impact of a request before anything happens, and its confirm token.
* :mod:`.service` — accepting, reading, cancelling and undoing a batch.
* :mod:`.engine` — how the worker carries batch items out: per-account concurrency, native
  chunks, the circuit breaker, and batch completion.
"""
