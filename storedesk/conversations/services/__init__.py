"""Every write to conversations goes through a function here (STYLE.md 3.2)."""
