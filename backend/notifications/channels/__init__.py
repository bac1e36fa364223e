"""Notification channels beside Web Push and the inbox: e-mail (SMTP), brand-name SMS
(eSMS.vn) and Zalo ZNS. One interface (``base.Channel``), one module per provider, and
a registry that offers what the settings configure."""
