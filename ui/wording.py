"""Words for numbers, digits and times in the pages' sentences: "the 2nd digit", "an 8", "1 Dec 2026, 10:08"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def a_digit(digit: int, bold: bool = False) -> str:
    """7 -> "a 7", 8 -> "an 8"; in bold, "an **8**"."""
    shown = f"**{digit}**" if bold else str(digit)
    return f"an {shown}" if digit == 8 else f"a {shown}"


def local_time(iso: str) -> str:
    """An ISO time as "1 Dec 2026, 10:08" in the visitor's time zone (the server's when the browser's is unknown)."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    try:
        zone = ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    moment = moment.astimezone(zone)
    return f"{moment.day} {moment:%b %Y, %H:%M}"
