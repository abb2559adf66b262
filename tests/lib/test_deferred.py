import datetime

from porto.lib.deferred import whole_second_after

AT = datetime.datetime(2026, 3, 2, 10, 0, 0, tzinfo=datetime.UTC)


def test_a_moment_with_a_fraction_of_a_second_is_rounded_up_to_the_next_second():
    assert whole_second_after(AT.replace(microsecond=700_000)) == AT + datetime.timedelta(seconds=1)
    assert whole_second_after(AT.replace(microsecond=1)) == AT + datetime.timedelta(seconds=1)


def test_a_whole_second_stays_as_it_is():
    assert whole_second_after(AT) == AT
