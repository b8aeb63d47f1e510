"""parse_email over the shared real-world corpus and our own generated messages.

The corpus (../shared/data/emails) is read in place, never copied into the repository.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import override_settings

from storedesk.core.tests.shared_data import shared_data_dir, shared_data_files
from storedesk.mail.mime import ParsedEmail, UnparseableEmail, parse_email

OWN = Path(__file__).resolve().parent / "eml"

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
CJK = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
KANA = re.compile(r"[\u3040-\u30ff]")


def corpus_file(folder: str, name: str) -> Path:
    return shared_data_dir() / "emails" / folder / name


def parse_file(path: Path) -> ParsedEmail:
    return parse_email(path.read_bytes())


def test_corpus_is_there() -> None:
    emails = shared_data_dir() / "emails"
    counts = {
        folder: len(list((emails / folder).glob("*.eml")))
        for folder in ("charsets", "malformed", "autoreply")
    }
    assert counts == {"charsets": 10, "malformed": 7, "autoreply": 6}


@pytest.mark.parametrize(
    "path",
    [
        *shared_data_files("emails/charsets"),
        *shared_data_files("emails/malformed"),
        *shared_data_files("emails/autoreply"),
        *shared_data_files("emails/bounce"),
    ],
)
def test_every_corpus_file_parses(path: Path) -> None:
    parsed = parse_file(path)

    assert parsed.headers  # something was recovered
    assert "\x00" not in parsed.text
    assert parsed.date is None or parsed.date.tzinfo is not None
    if parsed.quoted_start is not None:
        assert 0 < parsed.quoted_start < len(parsed.text)


# (file, field, expected substring, script the field must contain or None)
CHARSET_CASES = [
    (
        "flanker-bilingual-simple.eml",
        "subject",
        "Simple text. How are you? Как ты поживаешь?",
        CYRILLIC,
    ),
    ("flanker-bilingual-simple.eml", "text", "А эта линия по-русски.", CYRILLIC),
    ("flanker-encoded-header.eml", "from_name", "Foo, Bar", None),
    ("flanker-from-encoding.eml", "from_name", "Ingo Lütkebohle", None),
    # Windows-1251 0x88 is the euro sign.
    ("spamassassin-easy_ham-00236-windows-1251.eml", "text", "in stock for €65.", None),
    (
        "spamassassin-spam-00035-ks_c_5601-1987.eml",
        "subject",
        "[광고] 요즘 뜨는 직종 Best 5 & 자격증 따기 열풍",
        HANGUL,
    ),
    # Raw 8-bit EUC-KR in From: decoded with the body's charset.
    ("spamassassin-spam-00035-ks_c_5601-1987.eml", "from_name", "교육팀", HANGUL),
    ("spamassassin-spam-00035-ks_c_5601-1987.eml", "text", "금융 / IT / 방송", HANGUL),
    # The SpamAssassin gb2312, koi8-r and big5 samples are ASCII in their labelled
    # charsets; generated cases below cover the non-ASCII bytes.
    ("spamassassin-spam-00040-gb2312.eml", "text", "China Enterprise Management Co., Ltd.", None),
    ("spamassassin-spam-00089-koi8-r.eml", "text", "Email marketing works!", None),
    ("spamassassin-spam-00239-big5.eml", "text", "DIGITAL VIDEO RECORDER JK-400", None),
    (
        "spamassassin-spam-00217-bogus-charset-default.eml",
        "text",
        "Imagine The Perfect Business",
        None,
    ),
    ("spamassassin-spam-00325-iso-2022-jp.eml", "subject", "未承諾広告※灼熱！出会いの広場", CJK),
    ("spamassassin-spam-00325-iso-2022-jp.eml", "text", "突然のメール失礼いたします。", KANA),
]


@pytest.mark.parametrize(("name", "attribute", "expected", "script"), CHARSET_CASES)
def test_corpus_charsets(
    name: str, attribute: str, expected: str, script: re.Pattern[str] | None
) -> None:
    value = getattr(parse_file(corpus_file("charsets", name)), attribute)

    assert expected in value
    assert "\ufffd" not in value
    if script is not None:
        assert script.search(value)


def test_bogus_charset_is_recorded() -> None:
    parsed = parse_file(
        corpus_file("charsets", "spamassassin-spam-00217-bogus-charset-default.eml")
    )

    assert "unknown charset 'DEFAULT_CHARSET'" in parsed.defects
    assert parsed.charset_repairs is True
    assert "<" not in parsed.text


MALFORMED_CASES = [
    ("flanker-enclosed-bad-encoding.eml", "Hello", "FirstHeaderLineIsContinuationDefect"),
    ("flanker-false-multipart.eml", "", "StartBoundaryNotFoundDefect"),
    (
        "flanker-mailformed-headers.eml",
        "Hello",
        "text part marked base64 is not base64: taken as is",
    ),
    ("flanker-missing-boundaries.eml", "Hi This is a broken message", None),
    ("flanker-missing-final-boundary.eml", "Some body", "CloseBoundaryNotFoundDefect"),
    ("flanker-no-ctype.eml", "I'm just testing message parsing", None),
    ("mail-parser-mail_malformed_2.eml", "User's mailbox quota exceeded", None),
]


@pytest.mark.parametrize(("name", "expected_text", "defect"), MALFORMED_CASES)
def test_corpus_malformed(name: str, expected_text: str, defect: str | None) -> None:
    parsed = parse_file(corpus_file("malformed", name))

    assert expected_text in parsed.text
    if defect is not None:
        assert defect in parsed.defects


def test_malformed_headers_keep_their_utf8() -> None:
    parsed = parse_file(corpus_file("malformed", "flanker-mailformed-headers.eml"))

    assert parsed.from_address == "headers@gmail.com"
    assert parsed.from_name.startswith("Юникод запрещен")
    assert parsed.charset_repairs is True


def test_enclosed_message_becomes_eml_attachment() -> None:
    parsed = parse_file(corpus_file("malformed", "flanker-enclosed-bad-encoding.eml"))

    [forwarded] = parsed.forwarded
    assert forwarded.filename == "Thanks!.eml"
    inner = parse_email(forwarded.content)
    assert inner.message_id == "BANLkTinHZL1QMDHOv7Ewp+Z5u6SPvYcc+Q@mail.gmail.com"
    assert "чтобы я без вас делал" in inner.text


def test_headers_and_ids() -> None:
    parsed = parse_file(corpus_file("autoreply", "sisimai-rfc3834-03.eml"))

    assert parsed.message_id == "7e23258d-247f-479e-996d-e01f0f30af85-vac@apple.example.com"
    assert parsed.in_reply_to == ["25203A4E-F90F-4A14-BF51-3E7B9D39BE8E@libsisimai.org"]
    assert parsed.references == ["25203A4E-F90F-4A14-BF51-3E7B9D39BE8E@libsisimai.org"]
    assert parsed.to == ["neko@libsisimai.org"]
    assert parsed.date == datetime(2019, 12, 17, 2, 53, 9, tzinfo=UTC)
    assert parsed.headers["x-apple-action"] == "VACATION"
    assert parsed.headers["X-APPLE-ACTION"] == "VACATION"


@pytest.mark.parametrize("raw", [b"", b"  \r\n\r\n", b"just a line of text, no headers\n"])
def test_unparseable(raw: bytes) -> None:
    with pytest.raises(UnparseableEmail):
        parse_email(raw)


# ---- generated cases -----------------------------------------------------------------


def own(name: str) -> ParsedEmail:
    return parse_email((OWN / name).read_bytes())


def test_backslashes_kept_byte_for_byte() -> None:
    parsed = own("backslashes.eml")

    assert parsed.subject == "Path problem C:\\temp"
    assert "C:\\Users\\anna\\new\\table.txt and \\\\fileserver\\share\\orders." in parsed.text
    assert 'My regex is ^\\d+\\.\\w*$ and the JSON has "a\\"b" and a literal \\n,' in parsed.text


def test_html_only_mail() -> None:
    parsed = own("html-only-script-remote-image.eml")

    assert parsed.text == (
        "Hello,\n\nmy order (https://shop.example/orders/1042) has not arrived.\n\nThanks,\nBo"
    )
    assert "script" not in parsed.html
    assert "alert" not in parsed.html
    assert "tracker.example" not in parsed.html
    assert "onclick" not in parsed.html
    assert 'href="https://shop.example/orders/1042"' in parsed.html


def test_inline_cid_image() -> None:
    parsed = own("inline-cid-image.eml")

    [image] = parsed.attachments
    assert (image.filename, image.content_type, image.is_inline) == ("photo.png", "image/png", True)
    assert image.content_id == "photo1@customer.example"
    assert image.content.startswith(b"\x89PNG")
    assert 'src="cid:photo1@customer.example"' in parsed.html
    assert parsed.text == "The lid is cracked:"


def test_rfc2231_and_unsafe_filenames() -> None:
    parsed = own("rfc2231-filename.eml")

    assert [a.filename for a in parsed.attachments] == [
        "försäljning – kvitto.pdf",
        "Чек № 42.txt",
        "passwd",
    ]
    assert parsed.attachments[0].content == b"%PDF-1.4\n"
    assert parsed.text == "Receipts attached."


def test_forwarded_message() -> None:
    parsed = own("forwarded.eml")

    [forwarded] = parsed.attachments
    assert forwarded.filename == "Order 1042 problem – wrong size.eml"
    assert forwarded.content_type == "message/rfc822"
    assert parse_email(forwarded.content).from_address == "olle@customer.example"
    assert parsed.text == "See the mail below from my husband."


def test_attachment_over_the_limit_is_dropped() -> None:
    message = EmailMessage()
    message["From"] = "ida@customer.example"
    message["Subject"] = "Video of the damage"
    message.set_content("Video attached.")
    message.add_attachment(b"x" * 2048, maintype="video", subtype="mp4", filename="damage.mp4")
    message.add_attachment(b"y" * 100, maintype="image", subtype="jpeg", filename="small.jpg")

    with override_settings(MAIL_MAX_ATTACHMENT_BYTES=1000):
        parsed = parse_email(message.as_bytes())

    assert parsed.text == "Video attached."
    assert [a.filename for a in parsed.attachments] == ["small.jpg"]
    [dropped] = parsed.dropped_attachments
    assert (dropped.filename, dropped.size) == ("damage.mp4", 2048)
    assert dropped.reason == "larger than the limit of 1000 bytes"


def test_raw_8bit_without_charset() -> None:
    utf8 = own("raw-8bit-no-charset.eml")
    latin1 = own("raw-latin1-no-charset.eml")

    assert utf8.text == "Hej! Jag vill returnera tröjan, den var för liten."
    assert utf8.charset_repairs is False
    assert latin1.text == "Sehr geehrte Damen und Herren, die Größe passt nicht. Grüße"
    assert (latin1.subject, latin1.from_name) == ("Rücksendung", "Günter")
    assert latin1.charset_repairs is True


def raw_message(charset: str, body: bytes, subject: str = "Test", cte: str = "8bit") -> bytes:
    head = (
        f"From: a@customer.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode("ascii") + body


GENERATED_CHARSETS = [
    ("koi8-r", "Здравствуйте, где мой заказ?".encode("koi8-r"), "Здравствуйте, где мой заказ?"),
    ("windows-1251", "Спасибо за помощь".encode("cp1251"), "Спасибо за помощь"),
    ("iso-8859-5", "Добрый день".encode("iso-8859-5"), "Добрый день"),
    ("iso-8859-2", "Dzień dobry, zamówienie".encode("iso-8859-2"), "Dzień dobry, zamówienie"),
    ("windows-1252", "Café – “quoted”".encode("cp1252"), "Café – “quoted”"),
    # GBK-only characters (鎔) under a gb2312 label, as Outlook writes them.
    ("gb2312", "您好，我的订单在哪里？鎔".encode("gbk"), "您好，我的订单在哪里？鎔"),
    ("gbk", "退货".encode("gbk"), "退货"),
    ("gb18030", "退货𠀀".encode("gb18030"), "退货𠀀"),
    ("big5", "請問我的訂單".encode("big5"), "請問我的訂單"),
    ("ks_c_5601-1987", "주문 확인 부탁드립니다".encode("cp949"), "주문 확인 부탁드립니다"),
    ("iso-2022-jp", "注文の確認".encode("iso-2022-jp"), "注文の確認"),
    ("shift_jis", "注文の確認".encode("cp932"), "注文の確認"),
    # Bogus label on UTF-8 text: UTF-8 is tried first.
    ("x-no-such-charset", "Grüße aus Göteborg".encode(), "Grüße aus Göteborg"),
    # Mislabelled: declared latin-1, really UTF-8.
    ("iso-8859-1", "Привет".encode(), "Привет"),
]


@pytest.mark.parametrize(("charset", "body", "expected"), GENERATED_CHARSETS)
def test_generated_charsets(charset: str, body: bytes, expected: str) -> None:
    assert parse_email(raw_message(charset, body)).text == expected


def test_utf8_with_bad_bytes_is_replaced() -> None:
    parsed = parse_email(raw_message("utf-8", "Hälsningar ".encode() + b"\xff\xfe" + b" Anna"))

    assert parsed.text == "Hälsningar \ufffd\ufffd Anna"
    assert parsed.charset_repairs is True


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("=?koi8-r?B?7sXUINrBy8HawQ==?=", "Нет заказа"),
        ("=?gb2312?B?zcu79Q==?= =?gb2312?B?yerH6w==?=", "退货申请"),
        # A multibyte character split across two encoded words.
        ("=?utf-8?B?ww==?=\r\n =?utf-8?B?tnZlcg==?=", "över"),
        ("=?utf-8?Q?Fr=C3=A5ga_om?=order 1042", "Fråga omorder 1042"),
        ("Re:=?UTF-8?Q?_Fr=C3=A5ga?=", "Re: Fråga"),
        ("=?unknown-8bit?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?ks_c_5601-1987?B?wda5rg==?=", "주문"),
        ("=?iso-8859-1*sv?Q?H=E4lsning?=", "Hälsning"),
        ("=?utf-8?B?SGVq?=  =?utf-8?B?IGTDpQ?=", "Hej då"),  # missing padding
    ],
)
def test_encoded_word_subjects(subject: str, expected: str) -> None:
    assert parse_email(raw_message("us-ascii", b"x", subject=subject)).subject == expected


def test_bad_base64_in_text_part_is_recovered() -> None:
    parsed = parse_email(raw_message("utf-8", b"SGVsbG8gd29ybGQ\n", cte="base64"))

    assert parsed.text == "Hello world"


def test_unknown_transfer_encoding_is_recorded() -> None:
    parsed = parse_email(raw_message("utf-8", "Tack så mycket".encode(), cte="8bits"))

    assert parsed.text == "Tack så mycket"
    assert "unknown transfer encoding '8bits': body taken as is" in parsed.defects


def tnef_stream(*names: bytes) -> bytes:
    stream = struct.pack("<IH", 0x223E9F78, 1)
    for name in names:
        value = name + b"\0"
        stream += struct.pack("<BII", 2, 0x00018010, len(value)) + value + b"\0\0"
    return stream


def test_tnef_files_are_listed() -> None:
    message = EmailMessage()
    message["From"] = "jon@customer.example"
    message.set_content("See attached.")
    message.add_attachment(
        tnef_stream(b"invoice.pdf", b"photo.jpg"),
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )

    parsed = parse_email(message.as_bytes())

    assert parsed.tnef_files == ["invoice.pdf", "photo.jpg"]
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]


QUOTE_CASES = [
    (
        "Thanks!\n\nOn Mon, Feb 3, 2025 at 9:00 AM Shop <support@shop.example> wrote:\n> Hi",
        "On Mon",
    ),
    (
        "Thanks!\n\nOn Mon, Feb 3, 2025 at 9:00 AM Shop Support\n"
        "<support@shop.example> wrote:\n> Hi",
        "On Mon",
    ),
    (
        "Tack!\n\nDen mån 3 feb. 2025 kl 09:00 skrev Butiken <support@shop.example>:\n> Hej",
        "Den mån",
    ),
    (
        "Спасибо!\n\n3 февраля 2025 г., в 9:00, Магазин <support@shop.example> написал(а):\n"
        "> Привет",
        "3 февраля",
    ),
    ("Да.\n\nАнна ПИШЕТ:\n> Когда?", "Анна"),  # the verb in any case
    (
        "Да.\n\n-- \nАнна\n\nМагазин написал(а):\n> Когда?",  # the earlier marker wins
        "-- \nАнна",
    ),
    ("谢谢！\n\n在 2025年2月3日 09:00，商店 <support@shop.example> 写道：\n> 您好", "在 2025"),
    (
        "谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: 商店",
        "------------------ 原始邮件",
    ),
    (
        "Thanks, that works.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday",
        "-----Original",
    ),
    (
        "Thanks, that works.\n\nFrom: Shop <support@shop.example>\nSent: Monday\nTo: me",
        "From: Shop",
    ),
    ("Please call me.\n\n-- \nAnna Berg\n+46 70 000 00 00", "-- \nAnna"),
    ("I agree.\n\n> Will you take it back?\n> We can.\n", "> Will"),
]


@pytest.mark.parametrize(("body", "marker"), QUOTE_CASES)
def test_quoted_start(body: str, marker: str) -> None:
    parsed = parse_email(raw_message("utf-8", body.encode()))

    assert parsed.quoted_start == parsed.text.index(marker)
    assert parsed.text == body.rstrip()  # the original is kept whole


@pytest.mark.parametrize(
    "body",
    [
        "Just a question about my order, no quotes at all.",
        "> quoted first\nmy answer\n> more quote\nmore answer",  # interleaved: keep all
        "-----Original Message-----\nFrom: Shop\n\nA bare forward",  # nothing before it
    ],
)
def test_no_quoted_start(body: str) -> None:
    assert parse_email(raw_message("utf-8", body.encode())).quoted_start is None


def test_outlook_original_message_file() -> None:
    parsed = own("outlook-original-message.eml")

    assert parsed.text[: parsed.quoted_start].strip() == "Thanks, that works for me."


def test_two_megabyte_message_is_parsed_whole() -> None:
    message = EmailMessage()
    message["From"] = "big@customer.example"
    message["Subject"] = "Big one"
    line = "Ett långt meddelande med åäö och lite mer text för att fylla raden.\n"
    message.set_content(line * 15000)  # about 1 MB of text
    message.add_attachment(
        bytes(range(256)) * 4096,
        maintype="application",
        subtype="octet-stream",
        filename="data.bin",
    )  # 1 MB binary
    raw = message.as_bytes()
    assert len(raw) > 2_000_000

    parsed = parse_email(raw)  # its speed is measured by bench/ingest.py, not here

    assert parsed.text.count("åäö") == 15000
    assert parsed.attachments[0].size == 1024 * 1024
