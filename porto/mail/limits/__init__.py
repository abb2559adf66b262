"""Sending limits shared by every worker: per own SMTP server account, per provider account
and per company, a token bucket in Redis (with RQ) or in the database (the embedded default).
An email over a limit waits untried (``OutgoingEmail.Held.RATE``) until its slot; it is never
failed for it. See docs/limits.md.

- ``rates``: "N per period" and the bucket it becomes (pure)
- ``bucket``: the algorithm both stores run per key (pure); ``redis.lua`` is its twin
- ``stores``: the database and Redis stores
- ``keys``: which limits an email is subject to
- ``check``: the gate check (``porto.mail.gate.CHECKS``)
"""
