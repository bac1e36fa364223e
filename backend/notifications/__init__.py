"""Notifications: the in-app inbox, Web Push subscriptions, and the worker that turns
outbox messages into notices and delivers them."""
