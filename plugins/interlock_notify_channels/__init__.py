"""Notification channels for the gateway's outbox, one plug-in module each.

* :mod:`.smtp` — e-mail over SMTP (``aiosmtplib``), ``type = "email"``;
* :mod:`.dingtalk` — DingTalk work notifications through the DingTalk adapter,
  ``type = "dingtalk"``;
* :mod:`.webhook` — signed webhooks after the Standard Webhooks specification,
  ``type = "webhook"``.

Each module is its own entry point in ``interlock.adapters`` and implements
``interlock_register_channels``; the gateway builds the channels named in
``[notifications.channels.*]`` (docs/notifications.md).
"""
