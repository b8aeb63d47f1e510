"""The SQL that fills the inbox benchmark's database inside PostgreSQL (generate_series)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

TAGS = [
    "vip", "damaged", "late", "refund", "exchange", "warranty", "invoice", "address-change",
    "missing-item", "wrong-item", "complaint", "praise", "b2b", "gift", "preorder", "discount",
    "out-of-stock", "payment", "account", "urgent-callback",
]

# Text. A product name is three syllables, one of 1,000, so searching one hits ~0.1% of rows;
# the topic sentences share common words ("order", "delivery") that hit 10-90% of rows.
SYLLABLES_1 = ["vel", "kor", "tan", "mir", "sol", "dar", "lum", "bex", "quo", "rin"]
SYLLABLES_2 = ["a", "o", "i", "e", "u", "ya", "ro", "li", "ne", "ka"]
SYLLABLES_3 = ["mora", "dix", "vane", "tek", "lon", "sy", "ra", "bel", "gard", "nix"]
SELECTIVE_WORD = "velamora"  # one product: ~0.1% of conversations
COMMON_WORD = "delivery"  # in several topics: ~30% of conversations
FIRST_NAMES = [
    "Anna", "Erik", "Maria", "Lars", "Sofia", "Johan", "Emma", "Karl", "Elin", "Nils",
    "Olga", "Ivan", "Wei", "Li", "Mei", "Jun", "Laura", "Paul", "Sara", "Tom",
    "Nina", "Omar", "Aisha", "Lucas", "Mia", "Noah", "Ella", "Hugo", "Alva", "Liam",
]
LAST_NAMES = [
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Petrov", "Ivanova", "Smirnov", "Wang", "Zhang", "Chen", "Liu",
    "Smith", "Jones", "Brown", "Miller", "Garcia", "Martin", "Dubois", "Rossi", "Novak",
    "Kowalski", "Horvat", "Jensen", "Berg",
]
EMAIL_DOMAINS = ["example.com", "mail.example", "inbox.example", "post.example"]
# {p} is the product, {o} the order number.
TOPIC_SUBJECTS = [
    "Where is my order {o}?", "{p} arrived damaged", "Refund for {p}", "Wrong size of {p}",
    "Delivery address change for {o}", "Invoice for order {o}", "{p} stopped working",
    "Question about {p}", "Missing item in delivery {o}", "Cancel order {o}",
    "Exchange {p} for another colour", "Discount code does not work", "Delivery is late",
    "Warranty claim: {p}", "Payment charged twice for {o}", "Is {p} back in stock?",
]
TOPIC_SENTENCES = [
    "I ordered the {p} (order {o}) two weeks ago and the delivery has still not arrived.",
    "The {p} from order {o} arrived with a cracked side, the box was wet.",
    "I sent the {p} back last week, when will I get my refund for order {o}?",
    "The {p} I got is one size too small, can I get a larger one?",
    "I have moved, please send order {o} to my new address before the delivery.",
    "Could you send me an invoice for order {o}, with my company name on it?",
    "My {p} stopped working after three days, it does not turn on at all.",
    "Does the {p} work with the older model? The product page does not say.",
    "The delivery for order {o} came without the {p}, everything else was there.",
    "Please cancel order {o}, I ordered the {p} twice by mistake.",
    "Can I exchange the {p} for another colour? Order {o} has not been opened.",
    "The discount code from your newsletter is refused at checkout for the {p}.",
    "The tracking page for order {o} says the delivery is delayed again.",
    "The {p} broke within the warranty period, what do you need from me?",
    "My card was charged twice for order {o}, please refund one of the payments.",
    "When will the {p} be back in stock? I would like to order two.",
]
FILLER_SENTENCES = [
    "I have been a customer for years and this never happened before.",
    "Thank you in advance for your help.",
    "Please get back to me as soon as possible.",
    "I attached a photo of the label.",
    "My phone number is in my account if it is easier to call.",
    "I already tried the steps in your help centre.",
    "It is a gift so the date matters to me.",
    "Let me know if you need anything else from me.",
    "The courier said to contact the shop.",
    "I would prefer a replacement rather than a refund.",
]
CUSTOMER_FOLLOW_UPS = [
    "Any news on this? I still have not heard anything.",
    "Thanks, that works for me.",
    "I checked again and the problem is still there.",
    "Here is the extra information you asked for.",
    "Sorry, one more question about the same order.",
    "Could you confirm that you received my last message?",
]
AGENT_REPLIES = [
    "thank you for writing to us. I have checked your order and sent the details by email.",
    "I am sorry for the trouble. A replacement is on its way and you keep the old one.",
    "the refund has been issued and should reach your account within five working days.",
    "I have updated the delivery address; the courier has the new details.",
    "could you send us a photo of the product and of the shipping label?",
    "the item is back in stock next month; I have put a reservation on it for you.",
    "I have forwarded this to our warehouse team, who will reply within two days.",
    "the invoice is attached to this message; let me know if anything is missing.",
]
NOTES = [
    "Checked with the warehouse, parcel left on time.",
    "Customer called as well, same issue.",
    "Escalated to the carrier, waiting for their answer.",
    "Offered a 10% voucher, waiting for the customer.",
]


def text_array(values: Sequence[str]) -> sql.Composed:
    return sql.SQL("{}::text[]").format(sql.Literal(list(values)))


FUNCTIONS_SQL = """
CREATE FUNCTION pg_temp.h(i bigint, salt int) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (hashint8extended(i, salt) & 2147483647)::float8 / 2147483648.0 $$;
CREATE FUNCTION pg_temp.pick(options text[], i bigint, salt int) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT options[1 + floor(pg_temp.h(i, salt) * cardinality(options))::int] $$;
CREATE FUNCTION pg_temp.product(c bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT pg_temp.pick({s1}, c, 101) || pg_temp.pick({s2}, c, 102)
                 || pg_temp.pick({s3}, c, 103) $$;
CREATE FUNCTION pg_temp.order_no(c bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '#' || (10000000 + floor(pg_temp.h(c, 104) * 89999999)::int)::text $$;
CREATE FUNCTION pg_temp.fill(template text, c bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT replace(replace(template, '{{p}}', initcap(pg_temp.product(c))),
                         '{{o}}', pg_temp.order_no(c)) $$;
CREATE FUNCTION pg_temp.topic(c bigint) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 1 + floor(pg_temp.h(c, 105) * cardinality({subjects}))::int $$;
CREATE FUNCTION pg_temp.subject(c bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT pg_temp.fill(({subjects})[pg_temp.topic(c)], c) $$;
-- Message s (1-based) of conversation c: new conversations only hear from the customer;
-- otherwise the customer and the agents take turns, and one agent turn in ten is a note.
CREATE FUNCTION pg_temp.msg_kind(c bigint, status text, s int) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE
        WHEN status = 'new' OR s % 2 = 1 THEN 'inbound'
        WHEN pg_temp.h(c * 64 + s, 106) < 0.1 THEN 'note'
        ELSE 'outbound' END $$;
CREATE FUNCTION pg_temp.msg_text(c bigint, status text, s int, customer text, brand text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE pg_temp.msg_kind(c, status, s)
        WHEN 'inbound' THEN CASE WHEN s = 1 THEN
            'Hello, ' || pg_temp.fill(({sentences})[pg_temp.topic(c)], c) || ' '
            || pg_temp.pick({fillers}, c, 107) || ' ' || pg_temp.pick({fillers}, c, 108)
            || ' Best regards, ' || split_part(customer, ' ', 1)
        ELSE pg_temp.pick({follow_ups}, c * 64 + s, 109) || ' '
            || pg_temp.pick({fillers}, c * 64 + s, 110) || ' ' || split_part(customer, ' ', 1)
        END
        WHEN 'note' THEN pg_temp.pick({notes}, c * 64 + s, 111)
        ELSE 'Hi ' || split_part(customer, ' ', 1) || ', '
            || pg_temp.pick({replies}, c * 64 + s, 112) || ' Kind regards, ' || brand
            || ' customer service'
        END $$;
"""


def functions_sql() -> sql.Composed:
    return sql.SQL(FUNCTIONS_SQL).format(
        s1=text_array(SYLLABLES_1), s2=text_array(SYLLABLES_2), s3=text_array(SYLLABLES_3),
        subjects=text_array(TOPIC_SUBJECTS), sentences=text_array(TOPIC_SENTENCES),
        fillers=text_array(FILLER_SENTENCES), follow_ups=text_array(CUSTOMER_FOLLOW_UPS),
        replies=text_array(AGENT_REPLIES), notes=text_array(NOTES),
    )


CUSTOMERS_SQL = """
INSERT INTO customers_customer
    (id, created_at, updated_at, name, language, notify_on_update, is_blocked, avatar_color)
SELECT i, %(now)s - interval '3 years' * pg_temp.h(i, 1), %(now)s,
    pg_temp.pick(%(first)s, i, 2) || ' ' || pg_temp.pick(%(last)s, i, 3),
    pg_temp.pick(ARRAY['en','en','en','en','en','en','sv','sv','ru','zh-hans'], i, 4),
    pg_temp.h(i, 5) < 0.9, false,
    pg_temp.pick(ARRAY['#0ea5e9','#8b5cf6','#f59e0b','#10b981','#ef4444'], i, 6)
FROM generate_series(1, %(customers)s) AS i;

INSERT INTO customers_customeridentity (id, created_at, updated_at, kind, value, customer_id)
SELECT id, created_at, created_at, 'email',
    lower(replace(name, ' ', '.')) || '.' || id || '@' || pg_temp.pick(%(domains)s, id, 7), id
FROM customers_customer;
"""

# Conversation i was created at a time that grows with i over two years (so the heap is in
# creation order, as in production). Statuses: 8% new, 12% open, 10% pending, 5% on hold,
# 30% solved, 35% closed. Working conversations had their last message in the last 45 days
# (new and open ones: the customer's, so they are waiting since then); solved and closed
# ones within a week of opening. 90% stay with their inbox's team; 85% of the non-new ones
# are assigned to an agent of that team; 10% of pending/on-hold and 2% of open are snoozed.
CONVERSATIONS_SQL = """
INSERT INTO conversations_conversation (
    id, created_at, updated_at, number, channel, subject, status, status_before_removal,
    priority, language, snoozed_until, notify_customer, first_response_at,
    last_customer_message_at, last_message_at, solved_at, waiting_since, last_sequence,
    message_count, assignee_id, brand_id, customer_id, inbox_id, merged_into_id, team_id)
SELECT b.id, b.created_at, b.last_message_at, 1000 + b.id, ib.channel, pg_temp.subject(b.id),
    b.status, '', b.priority, cu.language,
    CASE WHEN b.status IN ('pending', 'on_hold') AND pg_temp.h(b.id, 20) < 0.10
              OR b.status = 'open' AND pg_temp.h(b.id, 20) < 0.02
         THEN %(now)s + interval '7 days' * pg_temp.h(b.id, 21) END,
    NULL,
    CASE WHEN b.status <> 'new'
         THEN least(b.created_at + interval '1 day' * pg_temp.h(b.id, 22), b.last_message_at) END,
    CASE WHEN b.status IN ('new', 'open') THEN b.last_message_at
         ELSE b.last_message_at - interval '1 day' * pg_temp.h(b.id, 23) END,
    b.last_message_at,
    CASE WHEN b.status IN ('solved', 'closed') THEN b.last_message_at END,
    CASE WHEN b.status IN ('new', 'open') THEN b.last_message_at END,
    %(messages)s + 1 + (b.status <> 'new')::int,
    %(messages)s,
    ag.id, ib.brand_id, b.customer_id, ib.id, NULL, t.id
FROM (
    SELECT a.*,
        CASE WHEN a.status IN ('new', 'open', 'pending', 'on_hold')
             THEN greatest(a.created_at, %(now)s - interval '45 days' * pg_temp.h(a.id, 24) ^ 2)
             ELSE least(a.created_at + interval '7 days' * pg_temp.h(a.id, 24) ^ 2, %(now)s)
        END AS last_message_at
    FROM (
        SELECT i AS id,
            %(now)s - interval '730 days' * (1 - i::float8 / %(conversations)s)
                - interval '6 hours' * pg_temp.h(i, 10) AS created_at,
            CASE WHEN pg_temp.h(i, 11) < 0.08 THEN 'new'
                 WHEN pg_temp.h(i, 11) < 0.20 THEN 'open'
                 WHEN pg_temp.h(i, 11) < 0.30 THEN 'pending'
                 WHEN pg_temp.h(i, 11) < 0.35 THEN 'on_hold'
                 WHEN pg_temp.h(i, 11) < 0.65 THEN 'solved'
                 ELSE 'closed' END AS status,
            pg_temp.pick(ARRAY['normal','normal','normal','normal','normal','normal','normal',
                               'high','high','high','low','low','urgent'], i, 12) AS priority,
            1 + floor(pg_temp.h(i, 13) ^ 1.5 * %(customers)s)::bigint AS customer_id,
            1 + floor(pg_temp.h(i, 14) * %(inboxes)s)::int AS inbox_k,
            CASE WHEN pg_temp.h(i, 15) < 0.9 THEN NULL
                 ELSE floor(pg_temp.h(i, 16) * %(teams)s)::int END AS other_team
        FROM generate_series(1, %(conversations)s) AS i
    ) AS a
) AS b
JOIN bench_inbox AS ib ON ib.k = b.inbox_k
JOIN customers_customer AS cu ON cu.id = b.customer_id
JOIN customers_customeridentity AS ci ON ci.customer_id = b.customer_id
JOIN bench_team AS t ON t.k = coalesce(b.other_team, ib.team_k)
LEFT JOIN bench_agent AS ag
    ON b.status <> 'new' AND pg_temp.h(b.id, 17) < 0.85
    AND ag.team_k = t.k AND ag.position = floor(pg_temp.h(b.id, 18) * %(agents_per_team)s)::int
"""

MESSAGES_SQL = """
INSERT INTO conversations_message (
    id, created_at, updated_at, sequence, kind, text, html, cc, delivery_status,
    channel_metadata, client_id, author_customer_id, author_user_id, conversation_id,
    search_header)
SELECT m.id, m.at, m.at, m.s + 1, m.kind, m.text, '<p>' || m.text || '</p>', '[]', m.delivery,
    '{}', '', m.author_customer_id, m.author_user_id, m.conversation_id, m.search_header
FROM (
    SELECT (c.id - 1) * %(messages)s + s AS id, s, c.id AS conversation_id,
        -- The opening message carries the header, as conversation_open writes it.
        CASE WHEN s = 1 THEN c.subject || ' ' || cu.name || ' ' || ci.value ELSE '' END
            AS search_header,
        c.created_at + (c.last_message_at - c.created_at) * ((s - 1)::float8
            / greatest(%(messages)s - 1, 1)) AS at,
        pg_temp.msg_kind(c.id, c.status, s) AS kind,
        pg_temp.msg_text(c.id, c.status, s, cu.name, ib.brand_name) AS text,
        CASE WHEN pg_temp.msg_kind(c.id, c.status, s) = 'outbound' THEN 'delivered' ELSE ''
        END AS delivery,
        CASE WHEN pg_temp.msg_kind(c.id, c.status, s) = 'inbound' THEN c.customer_id
        END AS author_customer_id,
        CASE WHEN pg_temp.msg_kind(c.id, c.status, s) <> 'inbound'
             THEN coalesce(c.assignee_id, ag.id) END AS author_user_id
    FROM conversations_conversation AS c
    CROSS JOIN generate_series(1, %(messages)s) AS s
    JOIN customers_customer AS cu ON cu.id = c.customer_id
    JOIN customers_customeridentity AS ci ON ci.customer_id = c.customer_id
    JOIN bench_inbox AS ib ON ib.id = c.inbox_id
    JOIN bench_team AS t ON t.id = c.team_id
    JOIN bench_agent AS ag ON ag.team_k = t.k AND ag.position = 0
) AS m
"""

# Sequence 1 is the CREATED event, the messages follow, and every conversation that left
# "new" ends with a STATUS_CHANGED event: last_sequence matches (see CONVERSATIONS_SQL).
EVENTS_SQL = """
INSERT INTO conversations_conversationevent
    (id, created_at, updated_at, sequence, type, data, actor_id, conversation_id)
SELECT 2 * c.id - 1, c.created_at, c.created_at, 1, 'created', '{}', NULL, c.id
FROM conversations_conversation AS c;

INSERT INTO conversations_conversationevent
    (id, created_at, updated_at, sequence, type, data, actor_id, conversation_id)
SELECT 2 * c.id, c.last_message_at, c.last_message_at, c.last_sequence, 'status_changed',
    jsonb_build_object('from', CASE c.status WHEN 'open' THEN 'pending' ELSE 'open' END,
                       'to', c.status), c.assignee_id, c.id
FROM conversations_conversation AS c
WHERE c.status <> 'new';
"""

# The requester of every conversation, and a CC'd customer on 5% of them.
PARTICIPANTS_SQL = """
INSERT INTO conversations_participant
    (id, created_at, updated_at, role, conversation_id, customer_id)
SELECT 2 * c.id - 1, c.created_at, c.created_at, 'requester', c.id, c.customer_id
FROM conversations_conversation AS c;

INSERT INTO conversations_participant
    (id, created_at, updated_at, role, conversation_id, customer_id)
SELECT 2 * c.id, c.created_at, c.created_at, 'cc', c.id, c.customer_id %% %(customers)s + 1
FROM conversations_conversation AS c
WHERE pg_temp.h(c.id, 30) < 0.05;
"""

# One tag on 30% of conversations, a second one on a third of those.
TAGS_SQL = """
INSERT INTO conversations_conversation_tags (id, conversation_id, tag_id)
SELECT 2 * c.id - 1, c.id, tg.id
FROM conversations_conversation AS c
JOIN bench_tag AS tg ON tg.k = floor(pg_temp.h(c.id, 40) * %(tags)s)::int
WHERE pg_temp.h(c.id, 41) < 0.3;

INSERT INTO conversations_conversation_tags (id, conversation_id, tag_id)
SELECT 2 * c.id, c.id, tg.id
FROM conversations_conversation AS c
JOIN bench_tag AS tg ON tg.k = (floor(pg_temp.h(c.id, 40) * %(tags)s)::int
    + 1 + floor(pg_temp.h(c.id, 42) * (%(tags)s - 1))::int) %% %(tags)s
WHERE pg_temp.h(c.id, 41) < 0.1;
"""
