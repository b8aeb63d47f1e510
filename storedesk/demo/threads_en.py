"""English conversation templates (see threads.py for the placeholders)."""

from __future__ import annotations

from storedesk.conversations.enums import Priority
from storedesk.demo.threads import FileKind, Kind, ThreadTemplate, m

TEMPLATES: tuple[ThreadTemplate, ...] = (
    ThreadTemplate(
        "en-where-is-order", "support", "Where is my order {order}?",
        (
            m("""Hi,

            I ordered the {product} almost a week ago (order {order}) and the tracking page
            hasn't updated for five days. Could you check what's going on? I need it before
            the weekend.

            Thanks,
            {name}"""),
            m("""Hi {first},

            Thanks for getting in touch, and sorry for the wait. I've checked order {order}
            with the carrier: the parcel was held at the sorting centre in Malmö because of a
            labelling problem, and it's moving again now. The new tracking number is
            {tracking} and delivery is expected within two working days.

            Best regards,
            {agent}"""),
            "Great, thanks for sorting that out. I'll keep an eye on the tracking.",
            m("""You're welcome! If it hasn't arrived by Friday, just reply to this email and
            I'll chase the carrier again.

            Have a nice week,
            {agent}"""),
        ),
        tags=("shipping",),
        note="Carrier confirmed the relabel. If the customer writes again on Friday, open a claim.",
    ),
    ThreadTemplate(
        "en-wrong-size", "support", "Wrong size in order {order}",
        (
            m("""Hello,

            My order {order} arrived today, but the duvet cover is 150x200 cm and I ordered
            220x220. Can I exchange it? The packaging is unopened.

            {name}"""),
            m("""Hi {first},

            Sorry about the mix-up! Of course you can exchange it. I've emailed you a prepaid
            return label – just drop the parcel at any PostNord service point. We'll send the
            220x220 cover as soon as the return is scanned, so you don't have to wait until it
            reaches our warehouse.

            Kind regards,
            {agent}"""),
            "Perfect, I dropped it off this morning.",
            m("""Thanks, {first}! The return is registered and the right size is on its way.
            You'll get a tracking link by email later today.

            {agent}"""),
        ),
        tags=("returns",),
        brands=("nordlys",),
    ),
    ThreadTemplate(
        "en-refund", "billing", "Refund for returned {product}",
        (
            m("""Hi, I returned the {product} two weeks ago (order {order}) but I still haven't
            seen the refund of {amount} SEK. Could you check?"""),
            m("""Hi {first},

            I can see your return arrived at our warehouse on Monday, and the refund of
            {amount} SEK was issued yesterday. Depending on your bank it can take 3–5 working
            days to show on your statement.

            Best wishes,
            {agent}"""),
            "It's there now, thank you!",
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "en-invoice-copy", "billing", "Invoice copy for order {order}",
        (
            m("""Hello,

            Could you send me a copy of the invoice for order {order}? Our accounts department
            needs it for the books – I've copied them in.

            Best,
            {name}"""),
            m("""Hi {first},

            Of course – the invoice for order {order} is attached as a PDF. It shows the VAT
            and our company registration number.

            Kind regards,
            {agent}"""),
            "Received, thanks a lot.",
        ),
        tags=("invoice",),
        agent_file=FileKind.INVOICE,
        cc=True,
    ),
    ThreadTemplate(
        "en-damaged", "support", "Damaged delivery – {product}",
        (
            m("""Hi,

            The {product} from order {order} arrived today and it's damaged – the box was
            crushed on one corner and the item is scratched. Photo attached. What can you do?

            {name}"""),
            m("""Hi {first},

            I'm really sorry it arrived like that, and thank you for the photo – it makes this
            quick. You don't need to send it back: I've arranged a replacement that ships
            tomorrow, and we'll file the claim with the carrier ourselves.

            Best regards,
            {agent}"""),
            "That's very kind, thanks. Should I throw away the damaged one?",
            m("""Please recycle it, or keep it if it's still usable – whichever suits you. The
            replacement's tracking number is {tracking}.

            {agent}"""),
        ),
        tags=("damaged", "shipping"),
        priority=Priority.HIGH,
        note=m("""Carrier claim filed for {order}; replacement sent free of charge. Photo is on
        the ticket."""),
        customer_file=FileKind.PHOTO,
    ),
    ThreadTemplate(
        "en-discount-code", "sales", "Discount code {code} not working",
        (
            m("""Hi! I tried to use the code {code} from your newsletter at checkout, but it
            says it's invalid. Has it expired?"""),
            m("""Hi {first},

            Thanks for letting us know. {code} only works on full-price items, and the
            {product} in your basket is already reduced, which is why it was rejected. I've made
            you a personal code, THANKYOU10, which takes 10% off your next order including sale
            items. It's valid for 30 days.

            Happy shopping,
            {agent}"""),
            "Oh brilliant, that worked. Thanks!",
        ),
        tags=("discount",),
    ),
    ThreadTemplate(
        "en-change-address", "support", "Change delivery address for {order}",
        (
            m("""Hi,

            I just placed order {order} and realised I used my old address. The correct one is
            14 Rosebery Avenue, London EC1R 4TD. Can you still change it?

            {name}"""),
            m("""Hi {first},

            Good timing – the order hadn't been packed yet, so I've changed the delivery
            address to 14 Rosebery Avenue, London EC1R 4TD. You'll get a new confirmation
            email shortly.

            Best,
            {agent}"""),
        ),
        tags=("address", "shipping"),
        priority=Priority.HIGH,
        note="Warehouse confirmed the address change before picking.",
    ),
    ThreadTemplate(
        "en-b2b-quote", "sales", "Quote request: 48 × {product}",
        (
            m("""Hello,

            We're furnishing a new boutique hotel in Edinburgh (24 rooms) and are interested
            in the {product}. Could you send a quote for 48 units, including delivery to the
            UK? I've copied in our purchasing manager.

            Kind regards,
            {name}"""),
            m("""Hello {first},

            Thank you for thinking of us for the hotel! For 48 units we can offer 18% off the
            list price and free delivery as a single pallet shipment. Lead time is about three
            weeks. Could you confirm the delivery address, and whether you'd like to pay by
            invoice (30 days)?

            Best regards,
            {agent}"""),
            m("""Thanks, that sounds good. Delivery to 5 Queen Street, Edinburgh EH2 1JE – and
            yes, invoice payment please."""),
            m("""Perfect – the formal quote is on its way and is valid for 30 days. As soon as
            you approve it we'll reserve the stock.

            {agent}"""),
        ),
        tags=("b2b",),
        note="Large order – check we have 48 in stock with the warehouse before confirming.",
        cc=True,
    ),
    ThreadTemplate(
        "en-payment-failed", "billing", "Payment keeps failing",
        (
            m("""Hi, I tried to pay for my order three times with my Visa card and it keeps
            failing with "payment declined". My bank says everything is fine on their side.
            Screenshot attached."""),
            m("""Hi {first},

            Sorry for the trouble. Our payment log shows the attempts were stopped because the
            3-D Secure check timed out – that happens when the confirmation in the bank's app
            isn't opened within a few minutes. Your basket is saved, so could you try once more
            and approve the payment in the app straight away? Klarna and Swish are also
            available at checkout.

            Best regards,
            {agent}"""),
            "That was it – it went through with the app. Thanks!",
        ),
        tags=("payment",),
        priority=Priority.HIGH,
        customer_file=FileKind.SCREENSHOT,
    ),
    ThreadTemplate(
        "en-product-question", "sales", "Question about the {product}",
        (
            "Hello! Is the {product} available in a darker colour? And how long is the warranty?",
            m("""Hi {first},

            The {product} comes in two colours, natural and charcoal; charcoal is back in stock
            next week. Everything we sell has a two-year warranty, and you can return anything
            within 30 days if it isn't right for you.

            Best,
            {agent}"""),
            "Could you let me know when the charcoal one is back?",
            m("""Absolutely – I've added your email to the restock alert, so you'll hear from
            us the moment it's available.

            {agent}"""),
        ),
        tags=("product",),
    ),
    ThreadTemplate(
        "en-cancel", "support", "Please cancel order {order}",
        (
            "Please cancel order {order} – I ordered the {product} twice by mistake.",
            m("""Hi {first},

            No problem – order {order} is cancelled and your other order is unaffected. The
            payment reservation of {amount} SEK will be released by your bank within a few days.

            Kind regards,
            {agent}"""),
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "en-missing-item", "support", "Item missing from order {order}",
        (
            m("""Hi, my parcel for order {order} arrived but the {product} is missing – only
            the other items were in the box, although it's on the packing slip."""),
            m("""Hi {first},

            Sorry for the confusion! The {product} was shipped separately from our second
            warehouse, so it has its own tracking number: {tracking}. It should be delivered
            tomorrow.

            Best regards,
            {agent}"""),
            "Ah, I missed that email. It just arrived – thanks!",
        ),
        tags=("shipping",),
    ),
    ThreadTemplate(
        "en-invoice-company", "billing", "Invoice to our company, please",
        (
            m("""Hello,

            We bought the {product} for our office (order {order}), but the invoice is made
            out to me personally. Could you reissue it to Brightwater Studio Ltd, VAT number
            GB123456789?

            Thanks,
            {name}"""),
            m("""Hi {first},

            Done – the invoice has been reissued to Brightwater Studio Ltd with your VAT
            number. The corrected PDF is attached and the old one has been cancelled.

            Best,
            {agent}"""),
        ),
        tags=("invoice", "b2b"),
        agent_file=FileKind.INVOICE,
    ),
    ThreadTemplate(
        "en-ship-norway", "sales", "Delivery to Norway?",
        (
            m("""Hi, do you deliver to Norway? If so, how long does it take, and will I pay
            customs fees?"""),
            m("""Hi {first},

            Yes, we ship to Norway! Delivery takes 3–5 working days. Norway is outside the EU,
            so Swedish VAT is taken off at checkout, and the carrier collects Norwegian VAT and
            a small handling fee on delivery.

            Kind regards,
            {agent}"""),
            "Good to know, thanks. I'll place the order tonight.",
        ),
        tags=("shipping",),
    ),
    ThreadTemplate(
        "en-spam-seo", "sales", "Boost your Google ranking in 30 days!!!",
        (
            m("""Dear Website Owner,

            We noticed your store is NOT on the first page of Google for your most important
            keywords. Our certified SEO experts GUARANTEE a #1 position in 30 days or your
            money back. Reply YES for a free audit!

            Best Regards,
            SEO Growth Team"""),
        ),
        kind=Kind.SPAM,
    ),
    ThreadTemplate(
        "en-spam-guest-post", "support", "Partnership proposal – guest posts",
        (
            m("""Hello,

            I'm reaching out with an exclusive offer: high-authority guest posts with do-follow
            links, only $49 each. Bulk packages available. Limited time only!"""),
        ),
        kind=Kind.SPAM,
    ),
    ThreadTemplate(
        "en-auto-reply", "support", "Automatic reply: Your order {order}",
        (
            m("""I'm out of the office until Monday with limited access to email.
            For urgent matters please call the office.

            {name}"""),
        ),
        kind=Kind.TRASH,
    ),
)
