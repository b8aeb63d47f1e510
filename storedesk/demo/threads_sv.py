"""Swedish conversation templates (see threads.py for the placeholders)."""

from __future__ import annotations

from storedesk.conversations.enums import Priority
from storedesk.demo.threads import FileKind, Kind, ThreadTemplate, m

TEMPLATES: tuple[ThreadTemplate, ...] = (
    ThreadTemplate(
        "sv-where-is-order", "support", "Var är min beställning {order}?",
        (
            m("""Hej!

            Jag beställde {product} för en vecka sedan (order {order}), men spårningen har stått
            still sedan i måndags. Kan ni kolla vad som har hänt? Det är en present till på
            lördag.

            Mvh
            {name}"""),
            m("""Hej {first}!

            Tack för att du hörde av dig, och förlåt dröjsmålet. Jag har kollat med PostNord:
            paketet fastnade på terminalen i Jönköping på grund av en skadad etikett, men nu är
            det på väg igen. Nytt kollinummer är {tracking} och det ska vara framme inom två
            arbetsdagar.

            Vänliga hälsningar,
            {agent}"""),
            "Vad skönt, tack för hjälpen!",
        ),
        tags=("shipping",),
        note="PostNord har märkt om paketet. Öppna reklamation om det inte kommit fram på fredag.",
    ),
    ThreadTemplate(
        "sv-wrong-size", "support", "Fel storlek på påslakanet",
        (
            m("""Hej,

            Jag fick min order {order} idag, men påslakanet är 150x200 och jag beställde
            220x220. Kan jag byta? Förpackningen är oöppnad.

            Hälsningar,
            {name}"""),
            m("""Hej {first},

            Ledsen för strulet! Självklart kan du byta. Jag har mejlat en förbetald
            returetikett – lämna paketet hos valfritt PostNord-ombud. Vi skickar rätt storlek
            så fort returen är inskannad, så du behöver inte vänta tills den kommit till vårt
            lager.

            Vänliga hälsningar,
            {agent}"""),
            "Toppen, jag lämnade in det i morse.",
            m("""Tack {first}! Returen är registrerad och det nya påslakanet är på väg. Du får
            en spårningslänk via mejl senare idag.

            {agent}"""),
        ),
        tags=("returns",),
        brands=("nordlys",),
    ),
    ThreadTemplate(
        "sv-refund", "billing", "Återbetalning för retur",
        (
            m("""Hej! Jag skickade tillbaka {product} för två veckor sedan (order {order}) men
            har inte fått tillbaka pengarna ({amount} kr) än. Kan ni kolla?"""),
            m("""Hej {first},

            Din retur kom fram till lagret i måndags och återbetalningen på {amount} kr gick
            iväg igår. Beroende på bank kan det ta 3–5 bankdagar innan den syns på kontot.

            Vänliga hälsningar,
            {agent}"""),
            "Nu har pengarna kommit. Tack!",
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "sv-invoice-copy", "billing", "Kopia på faktura, order {order}",
        (
            m("""Hej,

            Kan ni skicka en kopia på fakturan för order {order}? Vår ekonomiavdelning behöver
            den till bokföringen – jag har satt dem på kopia.

            Tack på förhand,
            {name}"""),
            m("""Hej {first},

            Självklart! Fakturan för order {order} finns bifogad som PDF, med moms och vårt
            organisationsnummer.

            Vänliga hälsningar,
            {agent}"""),
            "Tack, den har kommit fram.",
        ),
        tags=("invoice",),
        agent_file=FileKind.INVOICE,
        cc=True,
    ),
    ThreadTemplate(
        "sv-damaged", "support", "Trasig leverans – {product}",
        (
            m("""Hej,

            Order {order} kom idag, men {product} har fått skador – kartongen var intryckt i
            ena hörnet och det är repor och en buckla. Bifogar en bild. Vad gör vi nu?

            {name}"""),
            m("""Hej {first},

            Vad tråkigt att leveransen kom fram så, och tack för bilden – då går det snabbt. Du
            behöver inte skicka tillbaka något. Jag har lagt en ersättningsorder som skickas i
            morgon, och vi sköter reklamationen mot transportören.

            Vänliga hälsningar,
            {agent}"""),
            "Vad bra, tack! Ska jag slänga det trasiga exemplaret?",
            m("""Ja, lämna det gärna på återvinningen – eller behåll det om det går att
            använda. Kollinumret för ersättningen är {tracking}.

            {agent}"""),
        ),
        tags=("damaged", "shipping"),
        priority=Priority.HIGH,
        note="Reklamation till PostNord skickad för {order}. Ersättning utan kostnad.",
        customer_file=FileKind.PHOTO,
    ),
    ThreadTemplate(
        "sv-discount-code", "sales", "Rabattkoden {code} fungerar inte",
        (
            m("""Hej! Jag försökte använda koden {code} från ert nyhetsbrev men kassan säger att
            den är ogiltig. Har den gått ut?"""),
            m("""Hej {first},

            Tack för att du sa till! {code} gäller bara på fullprisvaror, och {product} i din
            varukorg är redan nedsatt. Jag har gjort en personlig kod åt dig, TACK10, som ger
            10 % på nästa köp, även på rea. Den gäller i 30 dagar.

            Trevlig shopping!
            {agent}"""),
            "Perfekt, nu funkade det. Tack!",
        ),
        tags=("discount",),
    ),
    ThreadTemplate(
        "sv-change-address", "support", "Ändra leveransadress för {order}",
        (
            m("""Hej,

            Jag lade precis order {order} och märkte att jag angav min gamla adress. Den rätta
            är Storgatan 12, 753 31 Uppsala. Går det att ändra?

            /{name}"""),
            m("""Hej {first},

            Bra att du hörde av dig så snabbt – ordern var inte plockad än, så jag har ändrat
            leveransadressen till Storgatan 12, 753 31 Uppsala. Du får en ny
            orderbekräftelse inom kort.

            Hälsningar,
            {agent}"""),
        ),
        tags=("address", "shipping"),
        priority=Priority.HIGH,
        note="Lagret har bekräftat adressändringen innan plock.",
    ),
    ThreadTemplate(
        "sv-b2b-quote", "sales", "Offertförfrågan: 30 st {product}",
        (
            m("""Hej,

            Vi inreder ett nytt kontor i Göteborg och är intresserade av {product}. Kan ni
            lämna en offert på 30 st inklusive frakt? Jag har satt vår ekonomiavdelning på
            kopia.

            Med vänlig hälsning,
            {name}"""),
            m("""Hej {first},

            Tack för förfrågan! För 30 st kan vi erbjuda 15 % rabatt på listpriset och fri
            frakt, leveranstid cirka två veckor. Vill ni betala mot faktura (30 dagar)? Skicka
            gärna organisationsnummer och leveransadress så gör jag i ordning offerten.

            Vänliga hälsningar,
            {agent}"""),
            m("""Låter bra! Faktura passar oss. Org.nr 556123-4567, leverans till
            Lilla Bommen 5, 411 04 Göteborg."""),
            m("""Tack! Offerten är skickad och gäller i 30 dagar. När ni godkänt den
            reserverar vi varorna.

            {agent}"""),
        ),
        tags=("b2b",),
        note="Stor order – stäm av lagersaldot innan vi bekräftar leveranstiden.",
        cc=True,
    ),
    ThreadTemplate(
        "sv-payment-failed", "billing", "Betalningen går inte igenom",
        (
            m("""Hej, jag har försökt betala med kort tre gånger men får bara ”Betalningen
            nekades”. Banken säger att allt ser bra ut hos dem. Skärmdump bifogad."""),
            m("""Hej {first},

            Förlåt krånglet! I vår betallogg ser jag att försöken stoppades för att
            BankID-signeringen tog för lång tid. Varukorgen är sparad – prova gärna igen och
            godkänn direkt i appen. Swish och Klarna fungerar också i kassan.

            Vänliga hälsningar,
            {agent}"""),
            "Det var det! Nu gick det med Swish. Tack!",
        ),
        tags=("payment",),
        priority=Priority.HIGH,
        customer_file=FileKind.SCREENSHOT,
    ),
    ThreadTemplate(
        "sv-product-question", "sales", "Fråga om {product}",
        (
            "Hej! Finns {product} i en mörkare färg? Och hur lång är garantin?",
            m("""Hej {first},

            Vi har två färger, natur och antracit – antracit är tillbaka i lager nästa
            vecka. Alla våra produkter har två års garanti och 30 dagars öppet köp.

            Hälsningar,
            {agent}"""),
            "Kan ni höra av er när den mörka varianten är tillbaka?",
            m("""Absolut! Jag har lagt in din mejladress för bevakning, så får du ett mejl så
            fort den finns i lager.

            {agent}"""),
        ),
        tags=("product",),
    ),
    ThreadTemplate(
        "sv-cancel", "support", "Avbeställ order {order}",
        (
            "Hej, kan ni avbeställa order {order}? Jag råkade beställa {product} två gånger.",
            m("""Hej {first},

            Inga problem – order {order} är makulerad och din andra order påverkas inte.
            Reservationen på {amount} kr släpps av banken inom några dagar.

            Vänliga hälsningar,
            {agent}"""),
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "sv-missing-item", "support", "Vara saknas i paketet",
        (
            m("""Hej! Paketet för order {order} har kommit men {product} saknas, fast varan
            står på följesedeln."""),
            m("""Hej {first},

            Ledsen för förvirringen! Den varan skickades separat från vårt andra lager och
            har ett eget kollinummer: {tracking}. Den ska komma fram i morgon.

            Hälsningar,
            {agent}"""),
            "Aha, det mejlet missade jag. Nu har den kommit – tack!",
        ),
        tags=("shipping",),
    ),
    ThreadTemplate(
        "sv-delivery-time", "sales", "Hinner ni leverera före midsommar?",
        (
            m("""Hej! Om jag beställer {product} idag, hinner paketet komma fram till Visby
            före helgen?"""),
            m("""Hej {first},

            Beställer du före kl. 14 skickas paketet idag, och till Gotland tar det normalt
            två arbetsdagar. Vill du vara säker kan du välja expressfrakt i kassan, så är det
            framme i morgon.

            Trevlig helg!
            {agent}"""),
            "Tack, jag tar expressfrakt.",
        ),
        tags=("shipping",),
    ),
    ThreadTemplate(
        "sv-spam-seo", "sales", "Förbättra er ranking på Google!",
        (
            m("""Hej webbplatsägare!

            Vi har märkt att er butik INTE syns på första sidan på Google. Våra certifierade
            SEO-experter GARANTERAR förstaplats på 30 dagar. Svara JA för en gratis analys!

            SEO Growth Team"""),
        ),
        kind=Kind.SPAM,
    ),
    ThreadTemplate(
        "sv-auto-reply", "support", "Autosvar: Din order {order}",
        (
            m("""Jag är på semester till och med vecka 32 och läser inte mejl. Vid brådskande
            ärenden, ring växeln.

            {name}"""),
        ),
        kind=Kind.TRASH,
    ),
)
