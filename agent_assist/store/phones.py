"""Phone numbers: every stored or typed format is matched through its E.164 form (phonenumbers)."""

from __future__ import annotations

import phonenumbers


class BadPhoneNumber(ValueError):
    pass


def to_e164(raw: str, region: str = "US") -> str:
    """``"(555) 123-4567"``, ``"555/123 4567"``, ``"+1 555 123 4567"`` -> ``"+15551234567"``.

    Raises :class:`BadPhoneNumber` with a readable message when ``raw`` is not a phone number. Numbers
    that parse but are not assigned (like the 555 range used in films and demo data) are accepted: the
    point is matching, not validating the plan.
    """
    text = (raw or "").strip()
    if not text:
        raise BadPhoneNumber("empty phone number")
    try:
        num = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as e:
        raise BadPhoneNumber(f"{raw!r} is not a phone number ({_reason(e)})") from None
    if not phonenumbers.is_possible_number(num):
        raise BadPhoneNumber(f"{raw!r} is not a phone number (wrong number of digits)")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def try_e164(raw: str | None, region: str = "US") -> str | None:
    if not raw:
        return None
    try:
        return to_e164(raw, region)
    except BadPhoneNumber:
        return None


def pretty(e164: str) -> str:
    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _reason(e: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "no digits in it",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(e.error_type, "unreadable")
