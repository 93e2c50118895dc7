"""Words for numbers, digits, probabilities and times in the pages' sentences: "the 2nd digit", "an 8", "99.7%",
"1 Dec 2026, 10:08"."""

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


def percent(probability: float) -> str:
    """A probability as every page shows it, in words, bars and captions alike: 0.62 -> "62%"; one decimal
    where whole percents would claim certainty that is not there, 0.997 -> "99.7%" (not "100%"), 0.004 -> "0.4%"."""
    whole = f"{probability:.0%}"
    if whole == "100%" and probability < 1:
        return f"{min(probability, 0.999):.1%}"  # at most "99.9%"
    if whole == "0%" and probability > 0:
        return f"{max(probability, 0.001):.1%}"  # at least "0.1%"
    return whole
