"""Notifications: templates, the outbox and the transports that deliver it."""
