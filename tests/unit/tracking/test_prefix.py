"""Line prefixes of AsyncOS logs: every shape, year-less and zone-less timestamps."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from mar_runner.tracking.asyncos.prefix import PrefixError, TimestampReader, split_level
from mar_runner.tracking.times import parse_zone

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)


def _utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("line", "epoch", "host", "message"),
    [
        (
            "Wed Feb 14 12:11:40 2007 Info: Start MID 2317877 ICID 15726925",
            _utc(2007, 2, 14, 12, 11, 40),
            None,
            "Start MID 2317877 ICID 15726925",
        ),
        (
            "Tue Jun  1 20:02:16 2004 Info: MID 14 generated based on MID 13 by bcc filter 'nonetest'",
            _utc(2004, 6, 1, 20, 2, 16),
            None,
            "MID 14 generated based on MID 13 by bcc filter 'nonetest'",
        ),
        ("<166>Mar 17 18:24:37 mail_logs: Info: Start MID 6 ICID 5", _utc(2026, 3, 17, 18, 24, 37), None, "Start MID 6 ICID 5"),
        (
            "<94>Nov 24 14:22:57 host.example.net mail_logs: Info: MID 204841507 queued for delivery",
            _utc(2026, 11, 24, 14, 22, 57),
            "host.example.net",
            "MID 204841507 queued for delivery",
        ),
        ("Sep 16 16:56:06 sc4s_mail_logs: Info: Start MID 88 ICID 80", _utc(2026, 9, 16, 16, 56, 6), None, "Start MID 88 ICID 80"),
        (
            "Aug  3 07:26:33  10.0.1.1 MAR_SecurityAudit: Info: Start MID 77 ICID 70",
            _utc(2026, 8, 3, 7, 26, 33),
            "10.0.1.1",
            "Start MID 77 ICID 70",
        ),
        (
            "amp: Info:   Retrospective verdict received. SHA256: x",
            None,
            None,
            "Retrospective verdict received. SHA256: x",
        ),
        (
            "2019 Sep 28 16:13:51 ironport_server mail [info] splunk_maillogs:nopid Info: MID 6509657 ICID 2 RID 0 To: fwd@example.com",
            _utc(2019, 9, 28, 16, 13, 51),
            "ironport_server",
            "MID 6509657 ICID 2 RID 0 To: fwd@example.com",
        ),
        (
            "Oct 19 06:33:29 2011 mx07.example.net syslog_mail: Info: Start MID 1416566008 ICID 2106327026",
            _utc(2011, 10, 19, 6, 33, 29),
            "mx07.example.net",
            "Start MID 1416566008 ICID 2106327026",
        ),
        (
            "2026-12-01T10:00:00+09:00 esa1 mail_logs: Info: Start MID 1 ICID 1",
            _utc(2026, 12, 1, 1, 0, 0),
            "esa1",
            "Start MID 1 ICID 1",
        ),
    ],
)
def test_prefix_shapes(line, epoch, host, message):
    prefix, text = split_level(line)
    assert text == message
    if epoch is not None:
        assert TimestampReader(timezone.utc, NOW).read(prefix) == (epoch, host)


def test_warning_level_split():
    assert split_level("Wed Feb 14 12:11:40 2007 Warning: MID 5 x") == ("Wed Feb 14 12:11:40 2007", "MID 5 x")


def test_line_without_level():
    assert split_level("just some text") is None


def test_yearless_date_after_now_is_last_year():
    reader = TimestampReader(timezone.utc, NOW)
    assert reader.read("Dec 31 23:00:00 mail_logs:")[0] == _utc(2025, 12, 31, 23, 0, 0)


def test_yearless_date_slightly_ahead_stays_this_year():
    reader = TimestampReader(timezone.utc, NOW)
    assert reader.read("Dec  5 08:00:00 mail_logs:")[0] == _utc(2026, 12, 5, 8, 0, 0)


def test_yearless_feb_29_takes_last_leap_year():
    reader = TimestampReader(timezone.utc, NOW)
    assert reader.read("Feb 29 10:00:00 mail_logs:")[0] == _utc(2024, 2, 29, 10, 0, 0)


def test_zoneless_time_read_in_given_zone():
    reader = TimestampReader(ZoneInfo("Asia/Tokyo"), NOW)
    assert reader.read("Wed Feb 14 12:11:40 2007")[0] == _utc(2007, 2, 14, 3, 11, 40)


@pytest.mark.parametrize("prefix", ["garbage here", "Foo 12 10:00:00 x:", "Feb 30 10:00:00 2007", "<abc>Mar 1 10:00:00 x:"])
def test_bad_prefix_rejected(prefix):
    with pytest.raises(PrefixError):
        TimestampReader(timezone.utc, NOW).read(prefix)


def test_unknown_zone_message():
    with pytest.raises(ValueError) as error:
        parse_zone("Mars/Olympus")
    assert str(error.value) == "unknown time zone 'Mars/Olympus': use an IANA name such as UTC or Asia/Tokyo"
