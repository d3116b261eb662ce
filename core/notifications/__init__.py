"""Notifications: events recorded where they happen (outbox), fanned out to the channels that
listen (fanout), rendered per channel kind (render), and delivered with retries by a drain
that a SAQ job wakes (sender, wakeup, delivery, send). Channels are managed through
core.notifications.channels."""
