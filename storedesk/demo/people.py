"""The demo's customers: realistic names per language, at example domains."""

from __future__ import annotations

from dataclasses import dataclass

from storedesk.customers.models import Customer
from storedesk.customers.services import customer_get_or_create_by_email


@dataclass(frozen=True)
class PersonSpec:
    name: str
    email: str
    language: str
    # How replies greet them: the first name, or the whole name where that is the custom.
    greeting_name: str
    is_vip: bool = False


def _people(language: str, domain: str, rows: str, vip: set[int]) -> tuple[PersonSpec, ...]:
    people = []
    for index, row in enumerate(line.strip() for line in rows.strip().splitlines()):
        name, local, greeting = (part.strip() for part in row.split("|"))
        people.append(
            PersonSpec(name, f"{local}@{domain}", language, greeting, is_vip=index in vip)
        )
    return tuple(people)


ENGLISH = _people("en", "example.com", """
    Emily Carter | emily.carter | Emily
    James Whitfield | jwhitfield | James
    Olivia Bennett | liv.bennett | Olivia
    Daniel Morgan | daniel.morgan | Daniel
    Charlotte Evans | charlotte.evans | Charlotte
    Michael O'Brien | mobrien | Michael
    Sarah Mitchell | sarah.mitchell | Sarah
    David Kim | david.kim | David
    Grace Thompson | grace.t | Grace
    Liam Walsh | liam.walsh | Liam
    Hannah Price | hannah.price | Hannah
    Noah Patel | noah.patel | Noah
    Megan Foster | megan.foster | Megan
    Ethan Brooks | ethan.brooks | Ethan
    Chloe Sanders | chloe.sanders | Chloe
    Robert Chen | robert.chen | Robert
    Aisha Rahman | aisha.rahman | Aisha
""", vip={1, 7})

SWEDISH = _people("sv", "example.se", """
    Erik Johansson | erik.johansson | Erik
    Karin Andersson | karin.andersson | Karin
    Lars Nilsson | lars.nilsson | Lars
    Sofia Lindberg | sofia.lindberg | Sofia
    Johan Eriksson | johan.e | Johan
    Elin Svensson | elin.svensson | Elin
    Anders Karlsson | anders.karlsson | Anders
    Maria Persson | maria.persson | Maria
    Oskar Gustafsson | oskar.gustafsson | Oskar
    Ida Larsson | ida.larsson | Ida
    Henrik Olsson | henrik.olsson | Henrik
    Emma Bergström | emma.bergstrom | Emma
    Nils Holm | nils.holm | Nils
    Linnea Sjöberg | linnea.sjoberg | Linnea
    Gustav Åberg | gustav.aberg | Gustav
""", vip={2})

RUSSIAN = _people("ru", "example.ru", """
    Анна Смирнова | anna.smirnova | Анна
    Иван Кузнецов | ivan.kuznetsov | Иван
    Ольга Попова | olga.popova | Ольга
    Сергей Васильев | s.vasiliev | Сергей
    Мария Морозова | maria.morozova | Мария
    Алексей Новиков | alexey.novikov | Алексей
    Екатерина Фёдорова | ekaterina.fedorova | Екатерина
    Дмитрий Волков | d.volkov | Дмитрий
    Наталья Лебедева | natalia.lebedeva | Наталья
    Михаил Козлов | mikhail.kozlov | Михаил
    Татьяна Егорова | tatiana.egorova | Татьяна
    Павел Орлов | pavel.orlov | Павел
    Юлия Никитина | yulia.nikitina | Юлия
""", vip={5})

CHINESE = _people("zh-hans", "example.cn", """
    王芳 | wang.fang | 王芳
    李娜 | li.na | 李娜
    张伟 | zhang.wei | 张伟
    刘洋 | liu.yang | 刘洋
    陈静 | chen.jing | 陈静
    杨磊 | yang.lei | 杨磊
    赵敏 | zhao.min | 赵敏
    黄晓明 | huang.xiaoming | 黄晓明
    周杰 | zhou.jie | 周杰
    吴婷 | wu.ting | 吴婷
    徐强 | xu.qiang | 徐强
    孙丽 | sun.li | 孙丽
""", vip={7})

CUSTOMERS_BY_LANGUAGE: dict[str, tuple[PersonSpec, ...]] = {
    "en": ENGLISH, "sv": SWEDISH, "ru": RUSSIAN, "zh-hans": CHINESE,
}

# Senders of unsolicited mail. The first two end up blocked (conversation_block_sender).
SPAMMERS: dict[str, PersonSpec] = {
    "en": PersonSpec("SEO Growth Team", "seo.growth@example.com", "en", "", is_vip=False),
    "sv": PersonSpec("SEO Growth Team", "seo.growth@example.com", "en", ""),
    "ru": PersonSpec("Деловая рассылка", "rassylka@example.ru", "ru", ""),
    "zh-hans": PersonSpec("优惠推广中心", "tuiguang@example.cn", "zh-hans", ""),
}
BLOCKED_SPAMMER_EMAILS = frozenset({"seo.growth@example.com", "rassylka@example.ru"})

# Colleagues a customer copies in (accounts departments), one per language.
CC_CONTACTS: dict[str, PersonSpec] = {
    "en": PersonSpec("Sophie Turner", "sophie.turner@example.com", "en", "Sophie"),
    "sv": PersonSpec("Ekonomiavdelningen", "ekonomi@example.se", "sv", ""),
    "ru": PersonSpec("Бухгалтерия", "buhgalteria@example.ru", "ru", ""),
    "zh-hans": PersonSpec("财务部", "caiwu@example.cn", "zh-hans", ""),
}


def all_people() -> list[PersonSpec]:
    people = [p for group in CUSTOMERS_BY_LANGUAGE.values() for p in group]
    extra = [*SPAMMERS.values(), *CC_CONTACTS.values()]
    seen = {p.email for p in people}
    for person in extra:
        if person.email not in seen:
            seen.add(person.email)
            people.append(person)
    return people


def customers_build() -> dict[str, Customer]:
    """Every demo customer by email, through the same service intake uses."""
    return {
        person.email: customer_get_or_create_by_email(
            email=person.email, name=person.name, language=person.language
        )
        for person in all_people()
    }
