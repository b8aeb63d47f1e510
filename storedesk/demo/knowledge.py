"""The demo's knowledge base: a few help-centre articles per store in four languages.

Loaded through the knowledge services (so the search index and revisions are real).
Idempotent: an article is found by its first translation's title in its store; a second
run adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleTranslation, Category
from storedesk.knowledge.services.articles import (
    article_create,
    article_publish,
    article_update,
    category_save,
    translation_save,
)


@dataclass(frozen=True)
class ArticleSpec:
    category: str
    # language -> (title, Markdown body); the first entry creates the article.
    texts: dict[str, tuple[str, str]]
    visibility: str = Visibility.PUBLIC
    tags: tuple[str, ...] = ()
    related: tuple[int, ...] = field(default=())  # indexes into the store's list


CATEGORIES = {
    "orders": {"en": "Orders and delivery", "sv": "Beställningar och leverans",
               "ru": "Заказы и доставка", "zh-hans": "订单与配送"},
    "returns": {"en": "Returns and refunds", "sv": "Returer och återbetalningar",
                "ru": "Возвраты и деньги", "zh-hans": "退货与退款"},
    "payment": {"en": "Payment", "sv": "Betalning", "ru": "Оплата", "zh-hans": "支付"},
    "products": {"en": "Products and warranty", "sv": "Produkter och garanti",
                 "ru": "Товары и гарантия", "zh-hans": "商品与保修"},
}

NORDLYS = [
    ArticleSpec("orders", {
        "en": ("When will my order arrive?",
               "Most orders leave our warehouse the next working day and arrive within "
               "**2-4 working days** in Sweden and 4-7 days elsewhere in Europe.\n\n"
               "You get an email with a tracking link as soon as the parcel is handed "
               "to the carrier."),
        "sv": ("När kommer min beställning?",
               "De flesta beställningar lämnar vårt lager nästa arbetsdag och levereras inom "
               "**2–4 arbetsdagar** i Sverige och 4–7 dagar i övriga Europa.\n\n"
               "Du får ett mejl med en spårningslänk när paketet har lämnats till fraktbolaget."),
        "ru": ("Когда придёт мой заказ?",
               "Большинство заказов покидают склад на следующий рабочий день. Доставка по "
               "Швеции занимает **2–4 рабочих дня**, по остальной Европе — 4–7 дней.\n\n"
               "Когда посылку передадут перевозчику, мы пришлём письмо со ссылкой "
               "для отслеживания."),
        "zh-hans": ("我的订单什么时候到？",
                    "大多数订单会在下一个工作日从仓库发出。瑞典境内通常 **2–4 个工作日** 送达，"
                    "欧洲其他地区需要 4–7 天。\n\n"
                    "包裹交给承运商后，您会收到一封带有物流跟踪链接的邮件。"),
    }, tags=("shipping",), related=(1,)),
    ArticleSpec("orders", {
        "en": ("Can I change or cancel my order?",
               "You can change the delivery address or cancel the order until it has been "
               "packed, usually within two hours of ordering. Write to us with your order "
               "number and we will do our best."),
        "sv": ("Kan jag ändra eller avbryta min beställning?",
               "Du kan ändra leveransadressen eller avbryta beställningen tills den har packats, "
               "oftast inom två timmar efter köpet. Skriv till oss med ditt ordernummer."),
        "ru": ("Можно ли изменить или отменить заказ?",
               "Адрес доставки можно изменить, а заказ — отменить, пока его не упаковали: "
               "обычно в течение двух часов после оформления. Напишите нам номер заказа."),
        "zh-hans": ("可以修改或取消订单吗？",
                    "在订单打包之前（通常是下单后两小时内），您可以修改收货地址或取消订单。"
                    "请把订单号发给我们。"),
    }, tags=("address",), related=(0,)),
    ArticleSpec("returns", {
        "en": ("How do I return an item?",
               "You have **30 days** to return anything you bought from us.\n\n"
               "1. Open the return page and enter your order number.\n"
               "2. Print the prepaid label and attach it to the parcel.\n"
               "3. Drop the parcel off at any service point.\n\n"
               "We refund the money within five working days after the parcel arrives."),
        "sv": ("Hur returnerar jag en vara?",
               "Du har **30 dagars** ångerrätt på allt du har köpt hos oss.\n\n"
               "1. Öppna retursidan och ange ditt ordernummer.\n"
               "2. Skriv ut den förbetalda etiketten och fäst den på paketet.\n"
               "3. Lämna paketet hos ett ombud.\n\n"
               "Vi betalar tillbaka pengarna inom fem arbetsdagar efter att returen "
               "har kommit fram."),
        "ru": ("Как вернуть товар?",
               "Вернуть покупку можно в течение **30 дней**.\n\n"
               "1. Откройте страницу возврата и введите номер заказа.\n"
               "2. Распечатайте оплаченную этикетку и наклейте её на посылку.\n"
               "3. Сдайте посылку в любом пункте выдачи.\n\n"
               "Деньги вернутся в течение пяти рабочих дней после получения возврата."),
        "zh-hans": ("如何退货？",
                    "您在购买后 **30 天** 内可以退货。\n\n"
                    "1. 打开退货页面并输入订单号。\n2. 打印预付运单并贴在包裹上。\n"
                    "3. 把包裹交到任意服务网点。\n\n我们会在收到退货后的五个工作日内退款。"),
    }, tags=("returns", "refund")),
    ArticleSpec("payment", {
        "en": ("Which payment methods can I use?",
               "We accept cards (Visa, Mastercard), Swish, and Klarna invoice or instalments. "
               "Business customers can pay by invoice with 30 days to pay."),
        "sv": ("Vilka betalsätt finns?",
               "Vi tar emot kort (Visa, Mastercard), Swish och Klarna faktura eller delbetalning. "
               "Företagskunder kan betala mot faktura med 30 dagars betalningstid."),
        "ru": ("Какие способы оплаты доступны?",
               "Мы принимаем банковские карты (Visa, Mastercard), Swish, а также счёт или "
               "рассрочку Klarna. Компании могут оплачивать по счёту в течение 30 дней."),
        "zh-hans": ("可以使用哪些支付方式？",
                    "我们支持银行卡（Visa、Mastercard）、Swish 以及 Klarna 发票或分期付款。"
                    "企业客户可以使用 30 天账期的发票付款。"),
    }, tags=("payment", "invoice")),
    ArticleSpec("products", {
        "en": ("What does the warranty cover?",
               "All our furniture and lamps have a **two-year warranty** against manufacturing "
               "faults. Send us a photo of the fault and your order number; we repair, replace "
               "or refund."),
        "sv": ("Vad omfattar garantin?",
               "Alla våra möbler och lampor har **två års garanti** mot tillverkningsfel. "
               "Skicka ett foto på felet och ditt ordernummer så reparerar, byter eller "
               "återbetalar vi."),
        "ru": ("Что покрывает гарантия?",
               "На всю мебель и светильники действует **гарантия два года** на "
               "производственные дефекты. Пришлите фото дефекта и номер заказа — мы "
               "отремонтируем, заменим товар или вернём деньги."),
        "zh-hans": ("保修范围是什么？",
                    "我们所有的家具和灯具对制造缺陷提供 **两年保修**。请发送故障照片和订单号，"
                    "我们会维修、更换或退款。"),
    }, tags=("product", "damaged")),
    ArticleSpec("products", {
        "en": ("Phone team: goodwill for damaged deliveries",
               "Internal. For a damaged delivery under 500 SEK, refund at once without asking "
               "for the item back. Above 500 SEK, ask for a photo first. Note the decision in "
               "the conversation."),
        "sv": ("Telefonteamet: goodwill vid skadade leveranser",
               "Internt. Vid en skadad leverans under 500 kr återbetalar vi direkt utan att be om "
               "varan tillbaka. Över 500 kr ber vi först om ett foto."),
    }, visibility=Visibility.INTERNAL, tags=("damaged",)),
]

KETTLE = [
    ArticleSpec("products", {
        "en": ("How do I descale my kettle?",
               "Fill the kettle halfway with equal parts water and white vinegar, bring it to "
               "the boil and let it stand for an hour. Rinse twice with clean water before use."),
        "sv": ("Hur avkalkar jag min vattenkokare?",
               "Fyll vattenkokaren till hälften med lika delar vatten och ättika, koka upp och "
               "låt stå en timme. Skölj två gånger med rent vatten innan du använder den."),
    }),
    ArticleSpec("returns", {
        "en": ("Returning a kettle",
               "Unused kettles can be returned within 30 days in their original box. Write to "
               "hello@kettle.example and we send you a return label."),
    }),
]

STORES = {"nordlys": NORDLYS, "kettle": KETTLE}


def knowledge_load(brands: dict[str, Brand], *, author: User | None) -> int:
    """Create the missing demo articles; returns how many were created."""
    created = 0
    for slug, specs in STORES.items():
        brand = brands.get(slug)
        if brand is None:
            continue
        with transaction.atomic():
            categories = {
                key: category_save(brand=brand, slug=key, names=names, position=n)
                for n, (key, names) in enumerate(CATEGORIES.items())
            }
            articles = []
            for spec in specs:
                article, is_new = _article_get_or_create(brand, spec, categories, author)
                articles.append(article)
                created += int(is_new)
            for spec, article in zip(specs, articles, strict=True):
                if spec.related and not article.related.exists():
                    article_update(
                        article=article, actor=author, related=[articles[i] for i in spec.related]
                    )
    return created


def _article_get_or_create(
    brand: Brand, spec: ArticleSpec, categories: dict[str, Category], author: User | None
) -> tuple[Article, bool]:
    (language, (title, body)), *others = spec.texts.items()
    existing = ArticleTranslation.objects.filter(brand=brand, language=language, title=title)
    found = existing.select_related("article").first()
    if found is not None:
        return found.article, False
    article = article_create(
        brand=brand,
        actor=author,
        language=language,
        title=title,
        body_markdown=body,
        visibility=spec.visibility,
        category=categories[spec.category],
        tags=spec.tags,
    )
    for other_language, (other_title, other_body) in others:
        translation_save(
            article=article,
            actor=author,
            language=other_language,
            title=other_title,
            body_markdown=other_body,
        )
    article_publish(article=article, actor=author)
    return article, True
