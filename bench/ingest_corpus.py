"""A deterministic corpus of realistic inbound shop mail for bench/ingest.py.

Four languages (English, Swedish, Russian, Chinese) in the charsets real mailboxes meet,
quoted-printable and base64 bodies, RFC 2047 headers in the body's charset, a third with an
HTML alternative, 2% with a PDF or JPEG attachment up to 2 MB, 20% replies to earlier
messages of the same customer (In-Reply-To, References, "Re:" subject, quoted history).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

SHOP_ADDRESSES = ("support@shop.example", "sales@shop.example", "billing@shop.example")
CUSTOMER_DOMAINS = ("mail.example", "post.example", "inbox.example", "web.example", "isp.example")
LANGUAGES = ("en", "sv", "ru", "zh")
LANGUAGE_WEIGHTS = (55, 15, 15, 15)
# (charset, body transfer encoding) choices per language; "zh-tw" texts are traditional.
CHARSETS: dict[str, list[tuple[str, str]]] = {
    "en": [("utf-8", "quoted-printable"), ("us-ascii", "7bit"), ("utf-8", "base64")],
    "sv": [
        ("utf-8", "quoted-printable"), ("iso-8859-1", "quoted-printable"),
        ("windows-1252", "quoted-printable"), ("utf-8", "base64"),
    ],
    "ru": [
        ("utf-8", "base64"), ("koi8-r", "base64"), ("windows-1251", "quoted-printable"),
        ("koi8-r", "8bit"), ("utf-8", "quoted-printable"),
    ],
    "zh": [("utf-8", "base64"), ("gb18030", "base64"), ("big5", "base64"), ("gb18030", "8bit")],
}

SENTENCES = {
    "en": [
        "Hello, I ordered a lamp from your shop last week and it still has not arrived.",
        "The tracking number you sent me does not work on the carrier's website.",
        "Could you please tell me when my parcel will be delivered?",
        "I would like to return the blue sofa cushion because the colour is different.",
        "The invoice shows the wrong address, please send a corrected one.",
        "My card was charged twice for the same order, can you refund one payment?",
        "Is the garden chair also available in green or only in grey?",
        "The box was damaged when it arrived and two glasses were broken.",
        "I have attached a photo of the damaged item so you can see the problem.",
        "Thank you for the quick answer last time, it was very helpful.",
        "Do you ship to Norway, and how much does the delivery cost?",
        "I cannot log in to my account, the password reset mail never comes.",
        "Please cancel my order before it is shipped, I found it cheaper elsewhere.",
        "The instructions in the package are missing for the shelf assembly.",
    ],
    "sv": [
        "Hej, jag beställde en lampa från er butik förra veckan och den har inte kommit än.",
        "Spårningsnumret ni skickade fungerar inte på fraktbolagets webbplats.",
        "Kan ni berätta när mitt paket kommer att levereras?",
        "Jag vill returnera den blå kudden eftersom färgen är en annan än på bilden.",
        "Fakturan har fel adress, skicka gärna en rättad faktura.",
        "Mitt kort drogs två gånger för samma beställning, kan ni återbetala en av dem?",
        "Finns trädgårdsstolen även i grönt eller bara i grått?",
        "Kartongen var skadad när den kom och två glas hade gått sönder.",
        "Tack för det snabba svaret förra gången, det hjälpte mycket.",
        "Skickar ni till Åland och Ö-länet, och vad kostar frakten?",
        "Jag kan inte logga in på mitt konto, återställningsmejlet kommer aldrig.",
        "Avbryt min beställning innan den skickas, jag hittade den billigare på annat håll.",
    ],
    "ru": [
        "Здравствуйте, я заказал лампу в вашем магазине на прошлой неделе, но она ещё не пришла.",
        "Номер отслеживания, который вы прислали, не работает на сайте перевозчика.",
        "Подскажите, пожалуйста, когда будет доставлена моя посылка?",
        "Я хочу вернуть синюю подушку, потому что цвет отличается от фотографии.",
        "В счёте указан неправильный адрес, пришлите, пожалуйста, исправленный.",
        "С моей карты дважды списали деньги за один заказ, верните один платёж.",
        "Есть ли садовый стул в зелёном цвете или только в сером?",
        "Коробка пришла повреждённой, и два стакана разбились.",
        "Спасибо за быстрый ответ в прошлый раз, он очень помог.",
        "Вы доставляете в Казахстан, и сколько стоит доставка?",
        "Я не могу войти в свой аккаунт, письмо для сброса пароля не приходит.",
        "Отмените, пожалуйста, мой заказ до отправки, я нашёл дешевле в другом месте.",
    ],
    "zh": [
        "您好，我上周在贵店订购了一盏台灯，但至今还没有收到。",
        "你们发给我的快递单号在快递公司网站上查不到。",
        "请问我的包裹什么时候能送到？",
        "我想退回那个蓝色的靠垫，因为颜色和图片上的不一样。",
        "发票上的地址写错了，请重新开一张正确的发票。",
        "同一个订单我的银行卡被扣了两次款，请退还其中一笔。",
        "花园椅有绿色的吗，还是只有灰色的？",
        "包裹到达时箱子已经破损，两个玻璃杯碎了。",
        "谢谢你们上次的快速回复，非常有帮助。",
        "请问你们发货到新加坡吗，运费是多少？",
        "我无法登录我的账户，重置密码的邮件一直没有收到。",
        "请在发货前取消我的订单，我在别处找到了更便宜的。",
    ],
    "zh-tw": [
        "您好，我上週在貴店訂購了一盞檯燈，但至今還沒有收到。",
        "你們發給我的快遞單號在物流公司網站上查不到。",
        "請問我的包裹什麼時候能送到？",
        "我想退回那個藍色的靠墊，因為顏色和圖片上的不一樣。",
        "發票上的地址寫錯了，請重新開一張正確的發票。",
        "同一個訂單我的信用卡被扣了兩次款，請退還其中一筆。",
        "謝謝你們上次的快速回覆，非常有幫助。",
        "請在出貨前取消我的訂單，我在別處找到了更便宜的。",
    ],
}
SUBJECTS = {
    "en": ["Where is my order?", "Return request", "Wrong invoice", "Charged twice",
           "Damaged delivery", "Question about a product", "Cannot log in"],
    "sv": ["Var är min beställning?", "Retur av vara", "Fel på fakturan", "Dubbeldragning",
           "Skadad leverans", "Fråga om en produkt", "Kan inte logga in"],
    "ru": ["Где мой заказ?", "Возврат товара", "Ошибка в счёте", "Двойное списание",
           "Повреждённая доставка", "Вопрос о товаре", "Не могу войти"],
    "zh": ["我的订单在哪里？", "退货申请", "发票错误", "重复扣款", "快递破损", "产品咨询",
           "无法登录"],
    "zh-tw": ["我的訂單在哪裡？", "退貨申請", "發票錯誤", "重複扣款", "快遞破損", "產品諮詢"],
}
QUOTE_INTRO = {
    "en": "On {date}, {name} wrote:",
    "sv": "Den {date} skrev {name}:",
    "ru": "{date}, {name} пишет:",
    "zh": "{name} 于 {date} 写道：",
    "zh-tw": "{name} 於 {date} 寫道：",
}
SIGNOFF = {
    "en": "Best regards,", "sv": "Med vänliga hälsningar,", "ru": "С уважением,",
    "zh": "此致敬礼，", "zh-tw": "此致敬禮，",
}
NAMES = {
    "en": (["Emma", "Oliver", "Ava", "James", "Mia", "Noah"],
           ["Smith", "Brown", "Taylor", "Wilson", "Clarke", "Hughes"]),
    "sv": (["Åsa", "Björn", "Linnéa", "Göran", "Märta", "Örjan"],
           ["Öberg", "Åström", "Lindqvist", "Sjöberg", "Ekström", "Håkansson"]),
    "ru": (["Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Иван"],
           ["Иванова", "Петров", "Смирнова", "Кузнецов", "Попова", "Соколов"]),
    "zh": (["伟", "芳", "娜", "敏", "静", "强"], ["王", "李", "张", "刘", "陈", "杨"]),
    "zh-tw": (["偉", "芳", "娜", "敏", "靜", "強"], ["王", "李", "張", "劉", "陳", "楊"]),
}
LATIN_NAMES = {  # for the local part of the address
    "en": ["emma", "oliver", "ava", "james", "mia", "noah"],
    "sv": ["asa", "bjorn", "linnea", "goran", "marta", "orjan"],
    "ru": ["anna", "dmitry", "olga", "sergey", "maria", "ivan"],
    "zh": ["wei", "fang", "na", "min", "jing", "qiang"],
}


@dataclass(frozen=True)
class Customer:
    language: str
    name: str
    email: str


@dataclass(frozen=True)
class CorpusMessage:
    raw: bytes
    to: str
    envelope_from: str
    language: str
    charset: str
    is_reply: bool
    attachment_size: int


@dataclass(frozen=True)
class _Sent:
    message_id: str
    references: tuple[str, ...]
    subject: str
    text: str
    date: datetime
    customer: int
    to: str


def customers_make(rng: random.Random, count: int) -> list[Customer]:
    customers = []
    for n in range(count):
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        firsts, lasts = NAMES[language]
        f, last = rng.randrange(len(firsts)), rng.randrange(len(lasts))
        name = f"{firsts[f]} {lasts[last]}" if language in ("en", "sv", "ru") else (
            f"{lasts[last]}{firsts[f]}"
        )
        local = f"{LATIN_NAMES[language][f]}.{n}"
        customers.append(Customer(language, name, f"{local}@{rng.choice(CUSTOMER_DOMAINS)}"))
    return customers


def _text(rng: random.Random, pool: list[str], charset: str, target: int) -> str:
    """Paragraphs of sentences until the body is about `target` bytes in `charset`."""
    paragraphs: list[str] = []
    size = 0
    while size < target:
        sentences = [rng.choice(pool) for _ in range(rng.randint(2, 5))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph.encode(charset, "replace")) + 2
    return "\n\n".join(paragraphs)


def _wrap(text: str, width: int = 76) -> str:
    """Lines of at most `width` characters, as mail clients send them."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


def _encoded_header(value: str, charset: str) -> str:
    if value.isascii():
        return value
    return Header(value, charset if charset != "us-ascii" else "utf-8").encode(
        linesep="\r\n", maxlinelen=76
    )


def corpus_make(count: int, *, customers: int = 2000, seed: int = 20261123) -> list[CorpusMessage]:
    """`count` messages, the same bytes for the same arguments."""
    rng = random.Random(seed)
    people = customers_make(rng, customers)
    sent: list[_Sent] = []
    corpus: list[CorpusMessage] = []
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    for i in range(count):
        date = start + timedelta(seconds=i * 97 + rng.randrange(60))
        is_reply = i > 0 and rng.random() < 0.20
        if is_reply:
            parent = sent[rng.randrange(len(sent))]
            who = parent.customer
        else:
            parent = None
            who = rng.randrange(len(people))
        customer = people[who]
        language = customer.language
        charset, cte = rng.choice(CHARSETS[language])
        if customer.language == "en" and charset == "us-ascii":
            pool_language = "en"
        else:
            pool_language = "zh-tw" if charset == "big5" else language
        pool = SENTENCES[pool_language]
        # Body size: mostly 2-20 KB of mail; a few short notes.
        if rng.random() < 0.06:
            target = rng.randint(300, 1500)
        else:
            target = int(math.exp(rng.uniform(math.log(1500), math.log(14000))))
        body = _text(rng, pool, charset, target)
        if parent is not None:
            quoted = "\n".join("> " + line for line in _wrap(parent.text[:3000]).split("\n"))
            intro = QUOTE_INTRO[pool_language].format(
                date=format_datetime(parent.date), name=SHOP_ADDRESSES[0]
            )
            body = _text(rng, pool, charset, max(300, target // 3)) + f"\n\n{intro}\n{quoted}"
            subject = parent.subject if parent.subject.startswith("Re: ") else (
                "Re: " + parent.subject
            )
            to = parent.to
        else:
            subject = rng.choice(SUBJECTS[pool_language])
            if rng.random() < 0.5:
                subject += f" #{rng.randint(10000, 99999)}"
            to = rng.choice(SHOP_ADDRESSES)
        text = _wrap(body) + f"\n\n{SIGNOFF[pool_language]}\n{customer.name}\n"
        # What the sender's charset can carry (a big5 mail quoting a gb18030 one, say).
        text = text.encode(charset, "replace").decode(charset)
        name = customer.name.encode(charset, "replace").decode(charset)
        subject = subject.encode(charset, "replace").decode(charset)
        message_id = f"{i}.{rng.getrandbits(48):012x}@{customer.email.split('@')[1]}"

        msg = EmailMessage(policy=policy.SMTP)
        msg["Date"] = format_datetime(date)
        msg["Message-ID"] = f"<{message_id}>"
        msg["To"] = to
        msg["X-Bench-Placeholder-Subject"] = "s"
        msg["X-Bench-Placeholder-From"] = "f"
        if parent is not None:
            msg["In-Reply-To"] = f"<{parent.message_id}>"
            references = (*parent.references, parent.message_id)[-10:]
            msg["References"] = " ".join(f"<{ref}>" for ref in references)
        else:
            references = ()
        msg["User-Agent"] = rng.choice(["Thunderbird/128.3", "Apple Mail (2.3776)", "Outlook 16.0"])
        msg.set_content(text, charset=charset, cte=cte)
        if rng.random() < 0.33:
            html = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
            html = f"<html><body><div style=\"font-family:Arial\">{html}</div></body></html>"
            msg.add_alternative(html, subtype="html", charset=charset, cte=cte)
        attachment_size = 0
        if rng.random() < 0.02:
            attachment_size = int(math.exp(rng.uniform(math.log(20_000), math.log(2_000_000))))
            if rng.random() < 0.5:
                data = b"%PDF-1.4\n" + rng.randbytes(attachment_size - 9)
                msg.add_attachment(data, maintype="application", subtype="pdf",
                                   filename=f"invoice-{i}.pdf")
            else:
                data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(attachment_size - 11)
                msg.add_attachment(data, maintype="image", subtype="jpeg",
                                   filename=f"photo-{i}.jpg")
        raw = msg.as_bytes(policy=policy.SMTP)
        subject_header = _encoded_header(subject, charset)
        from_header = formataddr(
            (name, customer.email),
            charset=charset if charset != "us-ascii" else "utf-8",
        )
        raw = raw.replace(
            b"X-Bench-Placeholder-Subject: s\r\n", f"Subject: {subject_header}\r\n".encode(), 1
        ).replace(b"X-Bench-Placeholder-From: f\r\n", f"From: {from_header}\r\n".encode(), 1)
        sent.append(_Sent(message_id, references, subject, text, date, who, to))
        corpus.append(
            CorpusMessage(raw, to, customer.email, language, charset, is_reply, attachment_size)
        )
    return corpus
