"""Notifications: events recorded where they happen (outbox), fanned out to the channels that
listen (fanout), rendered per channel kind (render), and delivered by SAQ jobs with retries
(delivery, send). Channels are managed through core.notifications.channels."""
