from ganstudio.wording import format_duration


def test_durations_read_naturally():
    assert format_duration(None) == "—"
    assert format_duration(12.4) == "12s"
    assert format_duration(95) == "1m 35s"
    assert format_duration(7260) == "2h 01m"
