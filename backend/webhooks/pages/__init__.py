"""The webhooks' console pages (``admin``) and the console's link to them."""

from backend.webhooks.pages.admin import WEBHOOK_PAGES, register

__all__ = ["WEBHOOK_PAGES", "register"]
