"""The demo's stores, teams, agents and inboxes.

Brand, Team, Inbox, InboxAddress and User have no services yet, so the small helpers here
create them directly; each is a get_or_create on a natural key (slug, name, username,
address), so a second run finds what the first one made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.utils import timezone

from storedesk.accounts.enums import AgentStatus, Role
from storedesk.accounts.models import Team, User
from storedesk.brands.models import Brand
from storedesk.conversations.models import Tag
from storedesk.demo.avatars import avatar_png
from storedesk.demo.credentials import DEMO_PASSWORD
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox, InboxAddress

LANGUAGES = ["en", "sv", "ru", "zh-hans"]
TEAM_NAMES = ("Sales", "Support", "Billing")


@dataclass(frozen=True)
class AgentSpec:
    username: str
    first_name: str
    last_name: str
    display_name: str
    # How the agent signs a reply written in their own language.
    sign_name: str
    language: str
    time_zone: str
    teams: tuple[str, ...]
    color: str
    role: str = Role.AGENT
    status: str = AgentStatus.OFFLINE


AGENTS = (
    AgentSpec("admin", "Maja", "Lindqvist", "Maja Lindqvist", "Maja", "sv", "Europe/Stockholm",
              ("Support", "Billing"), "#0f766e", role=Role.ADMIN, status=AgentStatus.ONLINE),
    AgentSpec("anna", "Anna", "Berg", "Anna Berg", "Anna", "sv", "Europe/Stockholm",
              ("Sales",), "#be185d", status=AgentStatus.ONLINE),
    AgentSpec("oliver", "Oliver", "Hughes", "Oliver Hughes", "Oliver", "en", "Europe/London",
              ("Support",), "#1d4ed8", status=AgentStatus.AWAY),
    AgentSpec("priya", "Priya", "Nair", "Priya Nair", "Priya", "en", "Asia/Kolkata",
              ("Billing", "Sales"), "#7c3aed"),
    AgentSpec("dmitry", "Dmitry", "Sokolov", "Dmitry Sokolov", "Дмитрий", "ru", "Europe/Moscow",
              ("Support",), "#b45309", status=AgentStatus.ONLINE),
    AgentSpec("elena", "Elena", "Petrova", "Elena Petrova", "Елена", "ru", "Europe/Riga",
              ("Billing", "Sales"), "#15803d"),
    AgentSpec("liwei", "Wei", "Li", "Li Wei", "李伟", "zh-hans", "Asia/Shanghai",
              ("Support", "Sales", "Billing"), "#dc2626"),
)

SIGNATURE_TITLES = {
    "en": "Customer service", "sv": "Kundtjänst", "ru": "Служба поддержки",
    "zh-hans": "客户服务",
}

TAG_COLORS = {
    "shipping": "#0ea5e9", "refund": "#f59e0b", "invoice": "#6366f1", "vip": "#db2777",
    "b2b": "#0f766e", "returns": "#ea580c", "payment": "#dc2626", "damaged": "#b91c1c",
    "discount": "#16a34a", "product": "#64748b", "address": "#8b5cf6",
}


@dataclass(frozen=True)
class BrandSpec:
    slug: str
    name: str
    domain: str
    accent_color: str
    # (inbox key, name, channel, team, address or "")
    inboxes: tuple[tuple[str, str, str, str, str], ...]


BRANDS = (
    BrandSpec("nordlys", "Nordlys Home", "shop.example", "#2563eb", (
        ("sales", "Sales", Channel.EMAIL, "Sales", "sales@shop.example"),
        ("support", "Support", Channel.EMAIL, "Support", "support@shop.example"),
        ("billing", "Billing", Channel.EMAIL, "Billing", "billing@shop.example"),
        ("web", "Contact form", Channel.WEB_FORM, "Support", ""),
        ("chat", "Live chat", Channel.CHAT, "Support", ""),
    )),
    BrandSpec("kettle", "Kettle & Co", "kettle.example", "#b45309", (
        ("kettle", "Kettle & Co", Channel.EMAIL, "Support", "hello@kettle.example"),
    )),
)


@dataclass(frozen=True)
class World:
    brands: dict[str, Brand]
    teams: dict[str, Team]
    agents: dict[str, User]
    inboxes: dict[str, Inbox]

    def agent_spec(self, username: str) -> AgentSpec:
        return next(spec for spec in AGENTS if spec.username == username)


def world_build() -> World:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAM_NAMES}
    agents = {spec.username: _agent_get_or_create(spec, teams) for spec in AGENTS}
    brands: dict[str, Brand] = {}
    inboxes: dict[str, Inbox] = {}
    for brand_spec in BRANDS:
        brand = _brand_get_or_create(brand_spec)
        brands[brand_spec.slug] = brand
        for key, name, channel, team, address in brand_spec.inboxes:
            inboxes[key] = _inbox_get_or_create(brand, name, channel, teams[team], address)
    for name, color in TAG_COLORS.items():
        Tag.objects.get_or_create(name=name, defaults={"color": color})
    return World(brands=brands, teams=teams, agents=agents, inboxes=inboxes)


def _brand_get_or_create(spec: BrandSpec) -> Brand:
    brand, _ = Brand.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "domain": spec.domain,
            "default_language": "en",
            "time_zone": "Europe/Stockholm",
            "sender_name": spec.name,
            "accent_color": spec.accent_color,
        },
    )
    return brand


def _inbox_get_or_create(
    brand: Brand, name: str, channel: str, team: Team, address: str
) -> Inbox:
    inbox, _ = Inbox.objects.get_or_create(
        brand=brand,
        name=name,
        defaults={
            "channel": channel,
            "team": team,
            "languages": LANGUAGES,
            "signature": f"{brand.name} customer service",
        },
    )
    if address:
        InboxAddress.objects.get_or_create(
            email=address, defaults={"inbox": inbox, "is_primary": True}
        )
    return inbox


@cache
def _demo_password_hash() -> str:
    # One Argon2 hash (about half a second) shared by every demo agent, not one each.
    return make_password(DEMO_PASSWORD)


def _agent_get_or_create(spec: AgentSpec, teams: dict[str, Team]) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(
            username=spec.username,
            email=f"{spec.username}@shop.example",
            first_name=spec.first_name,
            last_name=spec.last_name,
            display_name=spec.display_name,
            language=spec.language,
            time_zone=spec.time_zone,
            role=spec.role,
            status=spec.status,
            signature=f"{spec.display_name}\n{SIGNATURE_TITLES[spec.language]}",
            date_joined=timezone.now() - timedelta(days=120),
        )
        user.password = _demo_password_hash()
        user.save()
    if not user.avatar:
        user.avatar.save(
            f"{spec.username}.png",
            ContentFile(avatar_png(initials=user.initials, color=spec.color)),
            save=True,
        )
    for team in spec.teams:
        teams[team].members.add(user)
    return user
