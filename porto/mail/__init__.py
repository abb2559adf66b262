"""The whole life of an email: outbox, delivery, transports, events and status."""
