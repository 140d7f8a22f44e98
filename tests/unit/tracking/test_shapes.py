"""Message shapes of mail and AMP logs: subjects, names, addresses, AMP key variants."""

from __future__ import annotations

import pytest

from mar_runner.tracking.asyncos import shapes

SHA = "57a2339105487ee6477b46d927f4d5267a3e6dcd6f1ff041cf32aae00177c4b7"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("'text'", "text"),
        ('"redacted subject"', "redacted subject"),
        (
            r"Re: [example: #129226] FW: Quote for EXAMPLE AFRICA\r\n (PTY) LTD | Autoprice",
            "Re: [example: #129226] FW: Quote for EXAMPLE AFRICA (PTY) LTD | Autoprice",
        ),
        ("'Package delivery notification''", "Package delivery notification'"),
        ("", ""),
    ],
)
def test_subject_quoting_styles(raw, expected):
    assert shapes.subject(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("'Banner.gif'", "Banner.gif"),
        ("'=D1=82=D0=B5=D1=81=D1=82.rst'", "тест.rst"),
        ("'Test=20Attachment.docx'", "Test Attachment.docx"),
        ("'=?utf-8?Q?r=C3=A9sum=C3=A9.pdf?='", "résumé.pdf"),
        ("'a=zz.txt'", "a=zz.txt"),
    ],
)
def test_attachment_name_decoded(raw, expected):
    assert shapes.attachment_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<User@Example.com>", "user@example.com"),
        ("user@example.com", "user@example.com"),
        ("<a@example.com> SIZE=100", "a@example.com"),
        ("<>", None),
        ("<unclosed@example.com", None),
    ],
)
def test_address_forms(raw, expected):
    assert shapes.address(raw) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"Response received for file reputation query from Cloud. File Name = 'tqps.rtf', MID = 166267, "
            f"Disposition = MALICIOUS, Malware = W32.C78352D892-95.SBX.TG,  Reputation Score = 1, sha256 = {SHA}, upload_action = 1",
            ("tqps.rtf", 166267, SHA),
        ),
        (
            f"Response received for file reputation query from Cache. FileName = Report,Final Draft: Revenue (Q1),Approved.pdf, "
            f"MID = 5, Disposition = FILE UNKNOWN, Analysis Score = 0, sha256 ={SHA.upper()}, upload_action = Recommended to send "
            "the file for analysis, verdict_source = AMP, Suspected Malware Categories = None",
            ("Report,Final Draft: Revenue (Q1),Approved.pdf", 5, SHA),
        ),
        (
            "File reputation query initiating. File Name = 'a $%(1)|b.exe', MID = 7, File Size = 10 bytes",
            ("a $%(1)|b.exe", 7, None),
        ),
    ],
)
def test_amp_file_variants(line, expected):
    assert shapes.amp_file(line) == expected


def test_rid_list_spacing():
    assert shapes.rid_list("0, 1,2,  3") == [0, 1, 2, 3]
