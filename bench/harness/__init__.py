"""Loopback harness for crash tests, replica tests and benchmarks (never shipped).

* :mod:`.loopback` — vendor doubles served over loopback in a process of their own, and
  :class:`~.loopback.Gateways`: ``interlock serve`` processes on one database.
* :mod:`.gateway` — a gateway process with a crash point after vendor calls.
* :mod:`.crash` — the crash-recovery scenario of ``bench/crash_test.py`` and its test.

Benchmarks find it next to them; the tests put ``bench/`` on ``sys.path`` (``pyproject.toml``);
the processes it starts get ``PYTHONPATH`` from :func:`~.loopback.harness_env`.
"""
