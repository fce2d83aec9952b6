"""Who is calling, from whatever a softphone or PBX says: digits, ``sip:``/``sips:``/``tel:`` URIs, From headers.

:func:`parse_caller` never raises. Everything it cannot read as a phone number still gives a
:class:`Caller`: an anonymous one (``anonymous``, ``withheld``, ``restricted``, ``unknown``, empty, the
RFC 3323 ``sip:anonymous@anonymous.invalid``) or one with ``e164 = None`` and the SIP user part kept in
``user`` (an internal extension such as ``sip:alice@pbx``) so the card can still say who it is.

Forms read (RFC 3261 name-addr / addr-spec, RFC 3966 ``tel:`` with ``phone-context``):

- ``(555) 123-4567``, ``+44 20 7946 0958``, ``0044 20…`` (read in ``region``);
- ``sip:+15551234567@host;user=phone``, ``sips:5551234567@host:5061``, ``sip:%2B1555…@host``;
- ``sip:1234567;phone-context=+1555@host``, ``tel:7946-0958;phone-context=+4420``, ``tel:+1-555-123-4567``;
- ``"Jane Doe" <sip:+15551234567@host>;tag=ab12``, ``Jane <tel:+1555…>``, ``From: …`` (whole header line).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from agent_assist.store.phones import try_e164

MAX_RAW = 2048  # longer than any From header a softphone hands over; more is not a caller

_ANONYMOUS = frozenset({
    "", "anonymous", "anon", "withheld", "restricted", "unknown", "private", "unavailable", "hidden",
    "blocked", "not available", "number withheld", "private number", "unknown caller", "anonymous caller",
    "caller id withheld", "no caller id", "none", "null", "-",
})
_ANONYMOUS_HOSTS = frozenset({"anonymous.invalid"})
_SCHEMES = ("sips:", "sip:", "tel:")
# "Display Name" <uri> or Display Name <uri>, then header params (;tag=…)
_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>')
_HEADER_NAME = re.compile(r"^\s*(?:from|f|p-asserted-identity|remote-party-id|to|t)\s*:\s*", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/*#]*$")


@dataclass(frozen=True, slots=True)
class Caller:
    """A caller as far as the event tells: ``e164`` when there is a phone number, else ``None``."""

    raw: str
    e164: str | None = None
    display_name: str = ""
    anonymous: bool = False
    user: str = ""  # the SIP user part or the digits as given, when they are not a phone number

    @property
    def label(self) -> str:
        """What the card shows for a caller it does not know: name, else number, else 'Unknown caller'."""
        if self.anonymous:
            return self.display_name or "Unknown caller"
        return self.display_name or self.e164 or self.user or "Unknown caller"


def parse_caller(raw: object, region: str = "US") -> Caller:
    """Read ``raw`` (anything a softphone passes as the caller) in ``region``; never raises."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    try:
        return _parse(text, region or "US")
    except Exception:  # a caller we cannot read is an unknown caller, never a crash
        return Caller(raw=_clean(text)[:MAX_RAW], anonymous=not _clean(text).strip())


def _clean(text: str) -> str:
    """Drop lone surrogates, control and format characters (a From header is printable text)."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace") if _has_surrogates(text) else text
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t")


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _parse(text: str, region: str) -> Caller:
    clean = _clean(text).replace("\u00a0", " ").strip()
    if len(clean) > MAX_RAW:
        return Caller(raw=clean[:MAX_RAW], user="")
    if _is_anonymous_word(clean):
        return Caller(raw=clean, anonymous=True)

    body = _HEADER_NAME.sub("", clean, count=1)
    display = ""
    m = _NAME_ADDR.match(body)
    if m:
        display = (m.group(1) if m.group(1) is not None else (m.group(2) or "")).strip()
        display = re.sub(r"\\(.)", r"\1", display)
        uri = m.group(3).strip()
    else:
        uri = body
    display = display.strip()
    if _is_anonymous_word(display):
        anon_name = True
        display = ""
    else:
        anon_name = False

    lowered = uri.lower()
    scheme = next((s for s in _SCHEMES if lowered.startswith(s)), None)
    if scheme is None:
        if m is None and not _PHONE_CHARS.match(uri):
            # a word, not a URI and not digits: treat it as a name the source gave
            return _number_or_user(clean, uri, "", region, anon_name)
        return _number_or_user(clean, uri, display, region, anon_name)

    rest = uri[len(scheme):]
    if scheme == "tel:":
        user, params = _split_params(rest.split("?", 1)[0])
        host = ""
    else:
        userinfo, sep, hostpart = rest.partition("@")
        if not sep:  # sip:5551234567 (a bare user) or sip:host (no user at all)
            bare = re.split(r"[;?]", rest, maxsplit=1)[0]
            userinfo, hostpart = (rest, "") if _PHONE_CHARS.match(bare) else ("", rest)
        userinfo = userinfo.split(":", 1)[0]  # drop a password
        user, params = _split_params(userinfo)
        host = re.split(r"[;:?>]", hostpart, maxsplit=1)[0].strip().lower()
    user = unquote(user).strip()
    if host in _ANONYMOUS_HOSTS or _is_anonymous_word(user):
        return Caller(raw=clean, display_name=display, anonymous=True)
    context = params.get("phone-context", "")
    number = user
    if context.startswith("+") and not user.startswith("+"):
        number = context + user  # RFC 3966: a local number prefixed by a global context
    return _number_or_user(clean, number, display, region, anon_name, keep_user=user)


def _number_or_user(raw: str, number: str, display: str, region: str, anon_name: bool,
                    keep_user: str | None = None) -> Caller:
    digits_only = _PHONE_CHARS.match(number) is not None and any(ch.isdigit() for ch in number)
    e164 = try_e164(number, region) if digits_only else None
    if e164 is None and not digits_only:
        # full-width or other Unicode digits: NFKC folds them to ASCII, then try again
        folded = unicodedata.normalize("NFKC", number)
        if folded != number and _PHONE_CHARS.match(folded) and any(ch.isdigit() for ch in folded):
            e164 = try_e164(folded, region)
    user = (keep_user if keep_user is not None else number).strip()
    if e164 is None and not user and not display:
        return Caller(raw=raw, anonymous=True)
    if e164 is None and anon_name and not user:
        return Caller(raw=raw, anonymous=True)
    return Caller(raw=raw, e164=e164, display_name=display, user="" if e164 else user)


def _split_params(text: str) -> tuple[str, dict[str, str]]:
    head, *params = text.split(";")
    out: dict[str, str] = {}
    for p in params:
        k, _, v = p.partition("=")
        out[k.strip().lower()] = unquote(v.strip())
    return head, out


def _is_anonymous_word(text: str) -> bool:
    return text.strip().strip('"').strip().lower() in _ANONYMOUS
