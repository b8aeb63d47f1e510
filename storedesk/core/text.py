"""Small text helpers shared by models and templates."""


def initials(name: str) -> str:
    """Up to two capital initials for an avatar ("Anna Berg" -> "AB"); "?" for nothing."""
    return "".join(part[0] for part in name.split()[:2]).upper() or "?"
