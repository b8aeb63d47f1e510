"""The demo's conversations as a deterministic plan: who writes what, when, and what agents do.

Planning touches no database: it depends only on SEED and on `now`, so every run plans the
same conversations under the same demo keys, and a run that finds some of them already
loaded can play just the missing ones without changing the rest.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storedesk.conversations.enums import ConversationStatus, Priority
from storedesk.demo.actions import (
    Action,
    Assign,
    BlockSender,
    Note,
    Open,
    Receive,
    Reply,
    SetPriority,
    SetTags,
    Snooze,
    Transition,
)
from storedesk.demo.people import (
    BLOCKED_SPAMMER_EMAILS,
    CC_CONTACTS,
    CUSTOMERS_BY_LANGUAGE,
    SPAMMERS,
    PersonSpec,
)
from storedesk.demo.threads import (
    HOLD_NOTES,
    FileKind,
    Kind,
    ThreadTemplate,
    placeholder_values,
    templates_for,
)
from storedesk.demo.world import AGENTS, BRANDS

SEED = 20_240_611
S = ConversationStatus
COUNT_BY_LANGUAGE = {"en": 105, "sv": 80, "ru": 60, "zh-hans": 55}
SPAM_BY_LANGUAGE = {"en": 5, "sv": 2, "ru": 3, "zh-hans": 2}
TRASH_BY_LANGUAGE = {"en": 3, "sv": 3, "ru": 2, "zh-hans": 2}
# The statuses the other (regular) conversations end in; these add up to the rest.
REGULAR_STATUSES = {S.NEW: 30, S.OPEN: 36, S.PENDING: 44, S.ON_HOLD: 16, S.SOLVED: 96, S.CLOSED: 56}
DEMO_CONVERSATION_COUNT = sum(COUNT_BY_LANGUAGE.values())
# How many days back a conversation in each final status may start.
START_WINDOW_DAYS: dict[str, tuple[int, int]] = {
    S.NEW: (0, 2), S.OPEN: (0, 7), S.PENDING: (0, 10), S.ON_HOLD: (1, 14),
    S.SOLVED: (2, 45), S.CLOSED: (8, 60), S.SPAM: (0, 60), S.TRASH: (0, 60),
}
KETTLE_SHARE = 0.15
WEB_FORM_SHARE = 0.25
SNOOZE_SHARE = 0.35


@dataclass(frozen=True)
class Step:
    at: datetime
    action: Action


@dataclass
class ConversationPlan:
    key: str
    language: str
    customer_email: str
    inbox_key: str
    status: str
    # Placeholder values (order number, amount ...), for the files attached on the way.
    values: dict[str, str]
    steps: list[Step] = field(default_factory=list)

    @property
    def started_at(self) -> datetime:
        return self.steps[0].at


@dataclass
class _Context:
    rng: random.Random
    now: datetime
    language: str
    template: ThreadTemplate
    person: PersonSpec
    brand: str
    inbox_key: str
    agent: str
    values: dict[str, str]

    def fill(self, text: str, *, agent: str = "") -> str:
        sign = next(spec.sign_name for spec in AGENTS if spec.username == (agent or self.agent))
        shop = next(spec.name for spec in BRANDS if spec.slug == self.brand)
        return text.format(
            first=self.person.greeting_name, name=self.person.name, agent=sign, shop=shop,
            **self.values,
        )


def demo_plan(*, now: datetime) -> list[ConversationPlan]:
    """Every demo conversation, oldest first (so numbers rise with time)."""
    rng = random.Random(SEED)
    statuses = [status for status, count in REGULAR_STATUSES.items() for _ in range(count)]
    rng.shuffle(statuses)
    status_pool = iter(statuses)
    plans: list[ConversationPlan] = []
    for language, count in COUNT_BY_LANGUAGE.items():
        kinds = (
            [Kind.SPAM] * SPAM_BY_LANGUAGE[language]
            + [Kind.TRASH] * TRASH_BY_LANGUAGE[language]
            + [Kind.REGULAR] * (count - SPAM_BY_LANGUAGE[language] - TRASH_BY_LANGUAGE[language])
        )
        for kind in kinds:
            key = f"demo-{len(plans) + 1:04d}"
            plans.append(_plan_one(rng, now, key, language, kind, status_pool))
    plans.sort(key=lambda plan: plan.started_at)
    return plans


def _plan_one(
    rng: random.Random, now: datetime, key: str, language: str, kind: Kind,
    status_pool: Iterator[str],
) -> ConversationPlan:
    brand = "kettle" if kind == Kind.REGULAR and rng.random() < KETTLE_SHARE else "nordlys"
    templates = [
        t for t in templates_for(language) if t.kind == kind and brand in t.brands
    ]
    template = rng.choice(templates)
    status = {Kind.SPAM: S.SPAM, Kind.TRASH: S.TRASH}.get(kind) or next(status_pool)
    person = SPAMMERS[language] if kind == Kind.SPAM else rng.choice(
        CUSTOMERS_BY_LANGUAGE[language]
    )
    inbox_key = "kettle" if brand == "kettle" else template.topic
    if inbox_key == "support" and kind == Kind.REGULAR and rng.random() < WEB_FORM_SHARE:
        inbox_key = "web"
    context = _Context(
        rng=rng, now=now, language=language, template=template, person=person, brand=brand,
        inbox_key=inbox_key, agent=_agent_for(rng, inbox_key, language),
        values=placeholder_values(rng, brand=brand, language=language),
    )
    plan = ConversationPlan(
        key=key, language=language, customer_email=person.email, inbox_key=inbox_key,
        status=status, values=context.values,
    )
    actions = _actions(context, status, key)
    plan.steps = _schedule(context, status, actions)
    return plan


def _agent_for(rng: random.Random, inbox_key: str, language: str) -> str:
    team = next(
        team for spec in BRANDS for key, _, _, team, _ in spec.inboxes if key == inbox_key
    )
    members = [spec for spec in AGENTS if team in spec.teams]
    speakers = [spec for spec in members if spec.language == language] or members
    return rng.choice(speakers).username


def _actions(context: _Context, status: str, key: str) -> list[tuple[Action, str]]:
    """The plan's actions, each with the kind of pause before it (see _schedule)."""
    template, language = context.template, context.language
    cc = (CC_CONTACTS[language].email,) if template.cc else ()
    opening = Open(
        subject=context.fill(template.subject), text=context.fill(template.messages[0]),
        file=template.customer_file, cc=cc, demo_key=key,
    )
    actions: list[tuple[Action, str]] = [(opening, "start")]
    if status == S.SPAM:
        agent = context.agent
        if context.person.email in BLOCKED_SPAMMER_EMAILS:
            return [*actions, (BlockSender(actor=agent), "triage")]
        return [*actions, (Transition(status=S.SPAM, actor=agent), "triage")]
    if status == S.TRASH:
        return [*actions, (Transition(status=S.TRASH, actor=context.agent), "triage")]
    if status == S.NEW:
        return actions
    actions += _triage(context)
    actions += _thread(context, status)
    return actions + _finish(context, status)


def _triage(context: _Context) -> list[tuple[Action, str]]:
    rng, template, agent = context.rng, context.template, context.agent
    actions: list[tuple[Action, str]] = []
    roll = rng.random()
    if roll < 0.3:
        actions.append((Assign(agent=agent, actor="admin"), "triage"))
    elif roll < 0.6:
        actions.append((Assign(agent=agent, actor=agent), "triage"))
    tags = (*template.tags, "vip") if context.person.is_vip else template.tags
    if tags:
        actions.append((SetTags(tags=tags, actor=agent), "quick"))
    priority = _priority(rng, template, context.person)
    if priority != Priority.NORMAL:
        actions.append((SetPriority(priority=priority, actor=agent), "quick"))
    return actions


def _priority(rng: random.Random, template: ThreadTemplate, person: PersonSpec) -> str:
    roll = rng.random()
    if roll < 0.04:
        return Priority.URGENT
    if person.is_vip:
        return Priority.HIGH
    if template.priority == Priority.NORMAL and roll > 0.9:
        return Priority.LOW
    return template.priority


def _thread(context: _Context, status: str) -> list[tuple[Action, str]]:
    """The rest of the template's messages: as many as the final status needs."""
    messages = context.template.messages
    length = _thread_length(context.rng, status, len(messages))
    actions: list[tuple[Action, str]] = []
    for index in range(1, length):
        text = context.fill(messages[index])
        if index % 2:
            file = context.template.agent_file if index == 1 else FileKind.NONE
            actions.append((Reply(agent=context.agent, text=text, file=file), "agent"))
            if index == 1 and context.template.note:
                note = Note(agent=context.agent, text=context.fill(context.template.note))
                actions.append((note, "quick"))
        else:
            actions.append((Receive(text=text), "customer"))
    if length == 1:
        actions.append((Transition(status=S.OPEN, actor=context.agent), "triage"))
    return actions


def _thread_length(rng: random.Random, status: str, available: int) -> int:
    if status == S.OPEN:
        # Ends on the customer's word; with no second customer message, an agent opened it.
        odd = [n for n in (3, 5) if n <= available]
        return rng.choice(odd) if odd else 1
    if status in (S.PENDING, S.ON_HOLD):
        return rng.choice([n for n in (2, 4) if n <= available])
    return available


def _finish(context: _Context, status: str) -> list[tuple[Action, str]]:
    agent, language = context.agent, context.language
    if status == S.ON_HOLD:
        note = Note(agent=agent, text=HOLD_NOTES[language])
        return [(Transition(status=S.ON_HOLD, actor=agent), "quick"), (note, "quick")]
    if status == S.SOLVED:
        return [(Transition(status=S.SOLVED, actor=agent), "quick")]
    if status == S.CLOSED:
        return [
            (Transition(status=S.SOLVED, actor=agent), "quick"),
            (Transition(status=S.CLOSED, actor=None), "close"),
        ]
    return []


# Pauses before a step, in hours (low, high).
PAUSE_HOURS = {
    "start": (0.0, 0.0),
    "triage": (0.1, 3.0),
    "quick": (0.02, 0.3),
    "agent": (0.3, 20.0),
    "customer": (0.5, 36.0),
    "close": (72.0, 120.0),
}


def _schedule(
    context: _Context, status: str, actions: list[tuple[Action, str]]
) -> list[Step]:
    """Place the actions in time: a start within the status's window, then the pauses.

    If the conversation would run into the future it starts earlier instead.
    """
    rng, now = context.rng, context.now
    offsets, total = [], 0.0
    for _, pause in actions:
        low, high = PAUSE_HOURS[pause]
        total += rng.uniform(low, high)
        offsets.append(total)
    newest, oldest = START_WINDOW_DAYS[status]
    start = now - timedelta(days=rng.uniform(newest, oldest), minutes=5)
    start = min(start, now - timedelta(hours=total, minutes=5))
    steps = [Step(at=start + timedelta(hours=o), action=a) for o, (a, _) in zip(
        offsets, actions, strict=True
    )]
    recent = now - steps[-1].at < timedelta(days=7)
    if status in (S.PENDING, S.ON_HOLD) and recent and rng.random() < SNOOZE_SHARE:
        snooze = Snooze(hours=rng.uniform(20, 140), actor=context.agent)
        steps.append(Step(at=steps[-1].at + timedelta(minutes=2), action=snooze))
    return steps
