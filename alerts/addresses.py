"""E-mail addresses of the alerts: one spelling per mailbox, for storing and for counting.

The per-address rate limit counts requests per address. Spellings that reach the same
mailbox counted as different addresses, so that one mailbox could be sent any number of
confirmation e-mails: `"victim"@example.org` and `"v\\ictim"@example.org` (a quoted local
part, a quoted-pair) are, by RFC 5321, the mailbox `victim@example.org`. So:

- a quoted local part is unquoted and its escapes removed when what remains can be written
  without quotes (an RFC 5321 Dot-string), the spelling RFC 5321 asks senders to use; an
  address that needs its quotes (a space, an "@", two dots in a row…) is refused: nobody
  uses one for a newsletter, and it has more spellings than can be safely told apart;
- the local part is lowercased. RFC 5321 lets the receiving host tell `Victim` from
  `victim`, but the providers people use do not (Gmail, Outlook, Yahoo, Orange, Free,
  Postfix and Exim by default), and the site always stored addresses lowercased: this
  keeps the same alert for the same mailbox, at the cost, at some rare host with
  case-sensitive mailboxes, of mail going to the lowercased one;
- the domain is lowercased and written in ASCII (IDNA: `exämple.org` is
  `xn--exmple-cua.org`). A Unicode label that IDNA 2003 (Python's codec) would map to
  another one (`faß.de` to `fass.de`, a different domain under IDNA 2008) is refused
  rather than guessed: it can be typed in its `xn--` form. Address literals (`[192.0.2.1]`)
  are refused too.

`rate_key()` goes one step further for counting only: sub-addresses (`victim+1@`) and the
dots of Gmail addresses reach the same mailbox, yet are kept as typed in what is stored.
"""

from __future__ import annotations

import re
import unicodedata
from encodings import idna

from django.utils.translation import gettext_lazy as _

# RFC 5321 Dot-string: atoms of atext separated by single dots.
DOT_STRING = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# RFC 5321 limits (the whole address as EmailField stores it).
MAX_LOCAL_PART = 64
MAX_ADDRESS = 254
# Providers where dots in the local part are ignored (counting only).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


class UnsafeAddress(ValueError):
    """An address with no single safe spelling; `message` says why, for people."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _unquoted(local: str) -> str:
    # The local part without its quotes and escapes, if it needs none.
    if local.startswith('"') and local.endswith('"') and len(local) >= 2:
        characters, escaped = [], False
        for character in local[1:-1]:
            if escaped or character != "\\":
                characters.append(character)
                escaped = False
            else:
                escaped = True
        if escaped:
            raise UnsafeAddress(_("Cette adresse est mal écrite."))
        local = "".join(characters)
    if not DOT_STRING.fullmatch(local):
        raise UnsafeAddress(
            _(
                "Écrivez votre adresse sans guillemets ni barre oblique inverse (\\) : "
                "les adresses qui en ont besoin ne sont pas acceptées."
            )
        )
    return local


def _ascii_domain(domain: str) -> str:
    # The domain in lowercase ASCII, each Unicode label converted only if converting it
    # back gives it again (no IDNA 2003 mapping to another name).
    if domain.startswith("["):
        raise UnsafeAddress(_("Indiquez une adresse avec un nom de domaine, pas une adresse IP."))
    labels = []
    for label in unicodedata.normalize("NFC", domain).lower().split("."):
        if not label.isascii():
            try:
                ascii_label = idna.ToASCII(label).decode("ascii")
                same = idna.ToUnicode(ascii_label) == label
            except UnicodeError:
                same = False
            if not same:
                raise UnsafeAddress(
                    _(
                        "Ce nom de domaine ne s'écrit pas de façon sûre en ASCII : "
                        "saisissez-le en caractères simples ou sous sa forme « xn-- »."
                    )
                )
            label = ascii_label
        if not ASCII_LABEL.fullmatch(label) or len(label) > 63:
            raise UnsafeAddress(_("Ce nom de domaine est mal écrit."))
        labels.append(label)
    if len(labels) < 2:
        raise UnsafeAddress(_("Ce nom de domaine est mal écrit."))
    return ".".join(labels)


def normalise_email(email: str) -> str:
    """The one spelling of `email` that is stored and counted (see the module's docstring);
    raises UnsafeAddress when the address has no safe single spelling."""
    local, at, domain = email.strip().rpartition("@")
    if not (local and at and domain):
        raise UnsafeAddress(_("Cette adresse est mal écrite."))
    local = _unquoted(local).lower()
    address = f"{local}@{_ascii_domain(domain)}"
    if len(local) > MAX_LOCAL_PART or len(address) > MAX_ADDRESS:
        raise UnsafeAddress(_("Cette adresse est trop longue."))
    return address


def rate_key(address: str) -> str:
    """What the per-address rate limit counts, for a normalised `address`: the mailbox,
    without a sub-address (`victim+1@`) and, at Gmail, without dots, which reach the same
    mailbox whatever follows the "+" or wherever the dots are."""
    local, _at, domain = address.rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"
