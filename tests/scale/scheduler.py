"""`python -m tests.scale.scheduler INTERVAL`: the production scheduler (`manage.py
mail_sweeper --interval INTERVAL`, every registered job) with one more job of the same period,
a probe that appends the start of the period it ran for, and its process id, to the file
PORTO_SCALE_PROBE_FILE. Several schedulers share the file: the scale test reads from it that
each period ran once, not twice, and none was skipped."""

import os
import sys


def probe_record(path: str) -> int:
    from django.conf import settings

    from porto.mail import periodic
    from porto.mail.models import PeriodicJob

    # The claim's own moment, written on the row the claim won (the next claim is a period
    # away): the period this run belongs to, whatever the clock says now.
    claimed_at = PeriodicJob.objects.get(name=PROBE).last_started_at
    start = periodic.period_start(claimed_at, settings.PORTO_MAIL_SWEEP_INTERVAL)
    with open(path, "a", encoding="utf-8") as probe_file:  # one short append per run
        probe_file.write(f"{start.timestamp():.3f} {os.getpid()}\n")
    return 1


PROBE = "scale probe"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from porto.mail import periodic
    from porto.mail.management.commands import mail_sweeper  # noqa: F401 - registers mail's

    interval = sys.argv[1]
    path = os.environ["PORTO_SCALE_PROBE_FILE"]
    periodic.job_register(
        PROBE, lambda: settings.PORTO_MAIL_SWEEP_INTERVAL, lambda: probe_record(path)
    )
    call_command("mail_sweeper", "--interval", interval, verbosity=0)


if __name__ == "__main__":
    main()
