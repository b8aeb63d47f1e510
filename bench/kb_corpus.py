"""A deterministic knowledge base of shop FAQ articles for bench/kb_search.py.

Four languages (English, Swedish, Russian, Chinese). Each article is a question title and
a few paragraphs of answer built from per-language phrase lists about orders, delivery,
returns, payment, accounts and product care, with generated product names, so that
common words occur in tens of thousands of articles and product names in a handful.
Queries are drawn from the same words: common and rare words, typos, as-you-type prefixes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LANGUAGES = ("en", "sv", "ru", "zh-hans")
LANGUAGE_WEIGHTS = (40, 20, 20, 20)

TOPICS = {
    "en": ["order", "delivery", "parcel", "return", "refund", "payment", "invoice", "account",
           "password", "gift card", "discount code", "warranty", "spare part", "assembly",
           "size guide", "exchange", "pickup point", "express shipping", "newsletter",
           "price match", "store credit", "subscription", "battery", "cleaning", "colour"],
    "sv": ["beställning", "leverans", "paket", "retur", "återbetalning", "betalning",
           "faktura", "konto", "lösenord", "presentkort", "rabattkod", "garanti",
           "reservdel", "montering", "storleksguide", "byte", "ombud", "expressfrakt",
           "nyhetsbrev", "prisgaranti", "tillgodokvitto", "prenumeration", "batteri",
           "rengöring", "färg"],
    "ru": ["заказ", "доставка", "посылка", "возврат", "возмещение", "оплата", "счёт",
           "аккаунт", "пароль", "подарочная карта", "промокод", "гарантия", "запчасть",
           "сборка", "таблица размеров", "обмен", "пункт выдачи", "экспресс-доставка",
           "рассылка", "гарантия цены", "бонусы", "подписка", "аккумулятор", "чистка",
           "цвет"],
    "zh-hans": ["订单", "配送", "包裹", "退货", "退款", "付款", "发票", "账户", "密码",
                "礼品卡", "优惠码", "保修", "备件", "组装", "尺码表", "换货", "自提点",
                "快递", "新闻通讯", "价格保护", "积分", "订阅", "电池", "清洁", "颜色"],
}
QUESTIONS = {
    "en": ["How do I change my {t}?", "Where can I see my {t}?", "Can I cancel my {t}?",
           "What does the {t} cost for {p}?", "Why is my {t} late?", "How long does a {t} take?",
           "Is {t} possible for {p}?", "What happens to my {t} after I order {p}?"],
    "sv": ["Hur ändrar jag min {t}?", "Var ser jag min {t}?", "Kan jag avbryta min {t}?",
           "Vad kostar {t} för {p}?", "Varför är min {t} försenad?", "Hur lång tid tar {t}?",
           "Går {t} att ordna för {p}?", "Vad händer med min {t} när jag köper {p}?"],
    "ru": ["Как изменить {t}?", "Где посмотреть {t}?", "Можно ли отменить {t}?",
           "Сколько стоит {t} для {p}?", "Почему задерживается {t}?", "Сколько длится {t}?",
           "Возможен ли {t} для {p}?", "Что будет с {t} после покупки {p}?"],
    "zh-hans": ["如何修改我的{t}？", "在哪里查看我的{t}？", "我可以取消{t}吗？",
                "{p}的{t}费用是多少？", "为什么我的{t}延迟了？", "{t}需要多长时间？",
                "{p}可以办理{t}吗？", "购买{p}后我的{t}会怎样？"],
}
SENTENCES = {
    "en": ["You can manage your {t} under My pages at any time before we pack it.",
           "We send an email as soon as the {t} has been registered.",
           "Most customers get an answer about their {t} within one working day.",
           "For {p} the {t} follows the same rules as for other products.",
           "Keep the receipt: we ask for the order number when you contact us about {t}.",
           "If the {t} is not visible after 24 hours, check your spam folder first.",
           "The {t} is free for members of our customer club.",
           "Our warehouse handles {t} on weekdays between eight and five.",
           "Customers abroad may pay customs fees that we cannot refund.",
           "Please wait until the {t} is confirmed before you send anything back."],
    "sv": ["Du kan hantera din {t} under Mina sidor när som helst innan vi packar den.",
           "Vi skickar ett mejl så snart din {t} är registrerad.",
           "De flesta kunder får svar om sin {t} inom en arbetsdag.",
           "För {p} gäller samma regler för {t} som för andra produkter.",
           "Spara kvittot: vi frågar efter ordernumret när du kontaktar oss om {t}.",
           "Syns inte din {t} efter ett dygn, titta först i skräpposten.",
           "Medlemmar i kundklubben betalar ingenting för {t}.",
           "Vårt lager hanterar {t} vardagar mellan åtta och fem.",
           "Kunder utomlands kan få betala tull som vi inte kan återbetala.",
           "Vänta tills din {t} är bekräftad innan du skickar tillbaka något."],
    "ru": ["Вы можете управлять услугой «{t}» в личном кабинете до упаковки заказа.",
           "Мы отправим письмо, как только {t} будет зарегистрирован.",
           "Большинство покупателей получают ответ по теме «{t}» в течение рабочего дня.",
           "Для {p} правила для «{t}» такие же, как для других товаров.",
           "Сохраните чек: мы спросим номер заказа, когда вы напишете нам про {t}.",
           "Если {t} не отображается через сутки, сначала проверьте папку «Спам».",
           "Для участников клуба покупателей {t} бесплатно.",
           "Наш склад обрабатывает {t} по будням с восьми до пяти.",
           "Покупатели за рубежом могут заплатить таможенный сбор, который мы не возвращаем.",
           "Дождитесь подтверждения, прежде чем что-либо отправлять обратно."],
    "zh-hans": ["在我们打包之前，您可以随时在个人中心管理{t}。",
                "{t}登记后我们会立即发送电子邮件。",
                "大多数顾客会在一个工作日内收到关于{t}的答复。",
                "{p}的{t}规则与其他商品相同。",
                "请保留收据：联系我们咨询{t}时需要提供订单号。",
                "如果二十四小时后仍看不到{t}，请先检查垃圾邮件。",
                "会员俱乐部成员的{t}免费。",
                "我们的仓库在工作日八点到五点处理{t}。",
                "海外顾客可能需要支付我们无法退还的关税。",
                "在寄回任何物品之前，请等待{t}确认。"],
}
_SYLLABLES = ["bor", "ka", "lin", "sa", "vik", "to", "ral", "me", "dun", "ei", "frö", "ja",
              "nor", "pel", "qui", "sto", "umb", "var", "zen", "ly"]
_KINDS = {"en": ["lamp", "sofa", "chair", "kettle", "jacket", "tent", "shelf", "rug"],
          "sv": ["lampa", "soffa", "stol", "vattenkokare", "jacka", "tält", "hylla", "matta"],
          "ru": ["лампа", "диван", "стул", "чайник", "куртка", "палатка", "полка", "ковёр"],
          "zh-hans": ["台灯", "沙发", "椅子", "水壶", "夹克", "帐篷", "书架", "地毯"]}


@dataclass(frozen=True)
class CorpusArticle:
    language: str
    title: str
    body: str
    product: str


def _product(rng: random.Random, language: str) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{name} {rng.choice(_KINDS[language])} {rng.randint(100, 9999)}"


def articles_make(count: int, *, seed: int = 20261202) -> list[CorpusArticle]:
    rng = random.Random(seed)
    products = {lang: [_product(rng, lang) for _ in range(max(10, count // 20))]
                for lang in LANGUAGES}
    made = []
    for _ in range(count):
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        topic = rng.choice(TOPICS[language])
        product = rng.choice(products[language])
        title = rng.choice(QUESTIONS[language]).format(t=topic, p=product)
        paragraphs = []
        for _paragraph in range(rng.randint(2, 4)):
            sentences = rng.sample(SENTENCES[language], rng.randint(2, 4))
            other = rng.choice(TOPICS[language])
            paragraphs.append(" ".join(
                s.format(t=rng.choice((topic, other)), p=product) for s in sentences
            ))
        made.append(CorpusArticle(language, title, "\n\n".join(paragraphs), product))
    return made


@dataclass(frozen=True)
class CorpusQuery:
    kind: str
    text: str
    prefix: bool


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def queries_make(articles: list[CorpusArticle], count: int, *, seed: int = 7) -> list[CorpusQuery]:
    """Round-robin over four kinds: a common topic question, a product name, a typo,
    and the same question half typed (as-you-type, last word a prefix)."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        article = rng.choice(articles)
        language = article.language
        topic = rng.choice(TOPICS[language])
        kind = ("common", "rare", "typo", "prefix")[i % 4]
        if kind == "common":
            text = rng.choice(QUESTIONS[language]).format(t=topic, p="").replace("  ", " ")
        elif kind == "rare":
            text = article.product
        elif kind == "typo":
            text = " ".join(_typo(rng, w) for w in article.title.split()[:4])
        else:
            words = rng.choice(QUESTIONS[language]).format(t=topic, p=article.product).split()
            cut = words[: rng.randint(2, max(2, len(words)))]
            last = cut[-1]
            cut[-1] = last[: max(2, len(last) * 2 // 3)]
            text = " ".join(cut)
        made.append(CorpusQuery(kind, text, kind == "prefix"))
    return made
