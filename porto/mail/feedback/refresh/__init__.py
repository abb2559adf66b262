"""Update status: ask the provider an email went through (its status client, in
``porto/mail/providers/<name>/status.py``; the sandbox and own-mailbox clients here) and
record the answers."""
