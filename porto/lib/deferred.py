"""The moment a deferred task is given to the task backend."""

import datetime


def whole_second_after(when: datetime.datetime) -> datetime.datetime:
    """``when`` rounded up to a whole second. RQ's scheduler keeps whole seconds (it drops the
    fraction), so a task deferred to 10:00:00.7 could run at 10:00:00.2, when its claim still
    refuses the row that is not due yet; rounded up, it never runs before its moment."""
    if when.microsecond == 0:
        return when
    return when.replace(microsecond=0) + datetime.timedelta(seconds=1)
