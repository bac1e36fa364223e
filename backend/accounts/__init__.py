"""Accounts: passkeys (WebAuthn), sessions, recovery, organisations and officials."""
