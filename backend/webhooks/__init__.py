"""Integrators' webhooks (issue 18): subscriptions, signed deliveries from the outbox."""
