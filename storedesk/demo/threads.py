"""Hand-written conversation templates and the words that fill their placeholders.

A template is a thread of messages, customer first and then alternating customer/agent.
Placeholders: {first} (how the customer is greeted), {name} (full name), {agent} (how
the agent signs), {shop}, {order}, {product}, {code}, {amount}, {tracking}.
The texts live in one module per language (threads_en.py ...).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from inspect import cleandoc

from storedesk.conversations.enums import Priority

# Source lines at least this long were wrapped to fit the code, not by the writer.
WRAPPED_LINE_MIN_CHARS = 50


def m(text: str) -> str:
    """A message written as an indented, wrapped block: dedented, paragraphs unwrapped.

    Short lines (greetings, sign-offs) keep their line breaks; Chinese joins Chinese without a
    space.
    """
    lines = cleandoc(text).split("\n")
    out = lines[0]
    for previous, line in zip(lines, lines[1:], strict=False):
        if line and len(previous) >= WRAPPED_LINE_MIN_CHARS // _width(previous):
            out += ("" if _is_cjk(previous[-1]) and _is_cjk(line[0]) else " ") + line
        else:
            out += "\n" + line
    return out


def _is_cjk(char: str) -> bool:
    return ord(char) >= 0x2E80


def _width(line: str) -> int:
    # A Chinese line is "long" at half the characters.
    return 2 if line and _is_cjk(line[0]) else 1


class Kind(StrEnum):
    REGULAR = "regular"
    SPAM = "spam"
    TRASH = "trash"


class FileKind(StrEnum):
    NONE = ""
    PHOTO = "photo"
    SCREENSHOT = "screenshot"
    INVOICE = "invoice"


@dataclass(frozen=True)
class ThreadTemplate:
    key: str
    topic: str  # the Nordlys inbox it is written to: sales, support or billing
    subject: str
    messages: tuple[str, ...]
    tags: tuple[str, ...] = ()
    priority: str = Priority.NORMAL
    # An internal note added after the first reply (or when an agent picks it up).
    note: str = ""
    customer_file: FileKind = FileKind.NONE  # attached to the first customer message
    agent_file: FileKind = FileKind.NONE  # attached to the first agent reply
    cc: bool = False  # the customer copies in a colleague (CC_CONTACTS)
    brands: tuple[str, ...] = ("nordlys", "kettle")
    kind: Kind = Kind.REGULAR


PRODUCTS: dict[str, dict[str, tuple[str, ...]]] = {
    "nordlys": {
        "en": ("Aurora floor lamp", "linen duvet cover", "oak side table", "wool throw",
               "ceramic vase set", "Fjord dinner plates"),
        "sv": ("golvlampan Aurora", "påslakanet i linne", "sidobordet i ek", "ullplädet",
               "vasset i keramik", "tallriksserien Fjord"),
        "ru": ("торшер Aurora", "льняной пододеяльник", "дубовый приставной столик",
               "шерстяной плед", "набор керамических ваз", "сервиз Fjord"),
        "zh-hans": ("Aurora 落地灯", "亚麻被套", "橡木边几", "羊毛毯", "陶瓷花瓶套装",
                    "Fjord 餐盘套装"),
    },
    "kettle": {
        "en": ("Ember electric kettle", "cast-iron teapot", "glass tea infuser",
               "bamboo tea tray", "gooseneck pour-over kettle"),
        "sv": ("vattenkokaren Ember", "tekannan i gjutjärn", "tesilen i glas",
               "tebrickan i bambu", "svanhalskannan"),
        "ru": ("электрочайник Ember", "чугунный заварочный чайник", "стеклянный заварник",
               "бамбуковый чайный поднос", "чайник Gooseneck"),
        "zh-hans": ("Ember 电热水壶", "铸铁茶壶", "玻璃泡茶器", "竹制茶盘",
                    "鹅颈手冲壶"),
    },
}

# Added when an agent puts a conversation on hold and the template has no note of its own.
HOLD_NOTES = {
    "en": "Waiting for the warehouse to check stock – on hold until they answer.",
    "sv": "Väntar på svar från lagret – parkerad tills vidare.",
    "ru": "Ждём ответа склада, обращение отложено.",
    "zh-hans": "等待仓库回复，暂时挂起。",
}

ORDER_PREFIX = {"nordlys": "NH", "kettle": "KC"}
DISCOUNT_CODES = ("WELCOME10", "SUMMER15", "NEWS20", "AUTUMN10", "FRIENDS15")


def amount_format(language: str, value: int) -> str:
    if language == "en":
        return f"{value:,}"
    if language == "zh-hans":
        return str(value)
    return f"{value:,}".replace(",", "\u00a0")


def placeholder_values(rng: random.Random, *, brand: str, language: str) -> dict[str, str]:
    """Order number, product, code, amount and tracking number for one conversation."""
    return {
        "order": f"{ORDER_PREFIX[brand]}-{rng.randint(100_000, 199_999)}",
        "product": rng.choice(PRODUCTS[brand][language]),
        "code": rng.choice(DISCOUNT_CODES),
        "amount": amount_format(language, rng.randrange(199, 6000, 10)),
        "tracking": f"UA{rng.randint(100_000_000, 999_999_999)}SE",
    }


def templates_for(language: str) -> tuple[ThreadTemplate, ...]:
    from storedesk.demo import threads_en, threads_ru, threads_sv, threads_zh

    by_language: dict[str, tuple[ThreadTemplate, ...]] = {
        "en": threads_en.TEMPLATES,
        "sv": threads_sv.TEMPLATES,
        "ru": threads_ru.TEMPLATES,
        "zh-hans": threads_zh.TEMPLATES,
    }
    return by_language[language]
