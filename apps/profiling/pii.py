"""PII findings per column, from the column's name and from its values, each with a confidence (0..1).

Values are checked on the profile's row sample (at most MAX_VALUES of a column): the share of non-null values
that match a detector is its value evidence; a matching column name adds to it. Check digits decide where
there are some: IBANs (mod 97), cards (Luhn) and the national ids of `national_ids` (BSN, Steuer-ID, NIR,
DNI/NIE, codice fiscale, personnummer, HETU), which keeps order numbers and phone numbers from passing as
any of them; ids with a format only (US SSN, UK NINO, DK CPR) count for less. Names are looked up in the
first and last names of the Faker locales in NAME_LOCALES, addresses in the street words of their address
providers, both built once per process. Phones are heuristics (E.164, international, North American and
national forms): the `phonenumbers` package is not a dependency. Work is bounded: every
detector first reads SCREEN_VALUES values, and only the detectors that match a fair share of those read the
rest. A finding never carries a value, only the kind (and the national id scheme), the evidence and the share.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from . import national_ids

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
# An address inside free text. It starts only where a run of local-part characters starts: a search from every
# position inside a long run (`aaaa…` with no `@`) would rescan the run each time, quadratic in its length.
EMAIL_IN = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_IN = re.compile(r"(?<![0-9])\+?[0-9][0-9 ()./-]{7,16}[0-9](?![0-9])")
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
CARD = re.compile(r"^[0-9][0-9 -]{11,21}[0-9]$")

# Phones: E.164 and international forms (+ or 00, a country code), North American numbers with their
# separators, and national numbers with a trunk 0 (`(030) 1234567`, `020-123 4567`, `06 12345678`).
PHONE_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
PHONE_INTL = re.compile(r"^(?:\+|00)[1-9][0-9]{0,3}[ .-]?(?:\(0?[0-9]{1,4}\)[ .-]?)?[0-9][0-9 .-]{4,16}[0-9]$")
PHONE_NANP = re.compile(r"^(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}$")
PHONE_NATIONAL = re.compile(r"^(?:\(0[1-9][0-9]{0,4}\)|0[1-9][0-9]{0,4})[ /.-]?[0-9][0-9 .-]{3,13}[0-9]$")
# Digits in spaced groups (`729 825 979`, `030 123 45 67`) or a country code in brackets (`(351) 919825979`).
PHONE_GROUPED = re.compile(r"^(?:\(?[0-9]{2,4}\)?)(?: [0-9]{2,4}){2,4}$")
PHONE_BRACKETED_COUNTRY = re.compile(r"^\(\+?[1-9][0-9]{0,2}\) ?[0-9][0-9 ]{7,12}[0-9]$")
PHONE_EXTENSION = re.compile(r" ?(?:x|ext\.?|#) ?[0-9]{1,5}$", re.IGNORECASE)
DATE_LIKE = re.compile(r"^[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}$")

# Postal addresses: a house number then a street (English, French), a street type then its name and number
# (Spanish, Italian, Portuguese, Polish, French), or a street name ending in a street word then its number
# (German, Dutch, Scandinavian, Finnish).
_EN_FR_STREETS = (r"st|street|ave|avenue|rd|road|blvd|boulevard|lane|ln|dr|drive|way|ct|court|pl|place|terrace|"
                  r"close|crescent|square|sq|hwy|highway|parkway|pkwy|rue|av|bd|chemin|allée|impasse|quai|cours|"
                  r"route")
ADDRESS_NUMBER_FIRST = re.compile(rf"^\d{{1,6}}[A-Za-z]?,? (?:[^\W\d_][\w'.-]* ){{0,4}}?(?:{_EN_FR_STREETS})\b\.?",
                                  re.IGNORECASE)
ADDRESS_TYPE_FIRST = re.compile(
    r"^(?:calle|c/|avda\.?|avenida|paseo|plaza|carrer|via|viale|piazza|corso|largo|vicolo|rua|travessa|praça|"
    r"ul\.|ulica|al\.|aleja|rue|avenue|boulevard|chemin|place|allée) ?[^\W\d_][^\d]{1,60}?,? ?(?:n[º°o]\.? ?)?"
    r"\d{1,5}[a-zA-Z]?\b", re.IGNORECASE)
ADDRESS_NAME_FIRST = re.compile(
    r"^[^\W\d_][\w'. -]{0,50}?(?:straße|strasse|str\.|gasse|weg|platz|allee|ring|damm|ufer|straat|laan|plein|"
    r"gracht|kade|dijk|singel|steeg|gatan|vägen|gränd|torget|gade|vej|allé|katu|tie|kuja) ?\d{1,5}[a-zA-Z]?\b",
    re.IGNORECASE)

# The Faker locales whose first and last names the name detector knows (ja_JP: the romanised forms too).
NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT", "pt_BR", "pl_PL", "sv_SE",
                "da_DK", "fi_FI", "ja_JP")
_FIRST_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_romanized_names")
_LAST_ATTRIBUTES = ("last_names", "last_romanized_names", "male_last_names", "female_last_names",
                    "unisex_last_names")
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "del", "della", "la", "le", "du", "dos", "das",
                        "y", "e", "ter", "ten", "zu", "af", "al", "bin", "mc"})

MAX_VALUES = 5000  # values of a column read by the detectors
SCREEN_VALUES = 256  # every detector reads these first
SCREEN_SHARE = 0.25  # and reads the rest only if it matches this share of them
FINDING_SHARE = 0.5  # a finding from values needs this share of the values

_PARTS = r"(?:^|_)(?:{})(?:_|$)"


def _name_pattern(words: str) -> re.Pattern:
    return re.compile(_PARTS.format(words))


# (kind, name regex, generator in the inferred spec); names are lower-cased with `_` between words.
NAME_HINTS = (
    ("email", re.compile(r"e_?mail"), {"type": "faker", "provider": "email"}),
    ("phone", re.compile(r"phone|mobile|(?:^|_)(?:cell|tel|fax|telefon|telefoon|telefono|telephone)(?:_|$)"),
     {"type": "faker", "provider": "phone_number"}),
    ("iban", re.compile(r"iban"), {"type": "iban"}),
    ("card", re.compile(r"card|(?:^|_)pan(?:_|$)|cc_?num"), {"type": "credit_card"}),
    ("national_id", re.compile(
        r"ssn|social_?sec|national_?id|passport|tax_?id|bsn|burgerservice|steuer_?id|steuerid|idnr|insee|"
        r"codice_?fiscale|personnummer|personal_?number|personal_?id|hetu|henkilotunnus|"
        + _PARTS.format("nin|sin|nino|nir|dni|nie|nif|cf|cpr|pesel")),
     {"type": "faker", "provider": "ssn"}),
    ("first_name", re.compile(r"first_?name|given_?name|forename|vorname|prenom|voornaam|nombre|fornavn|fornamn|"
                              r"etunimi"), {"type": "faker", "provider": "first_name"}),
    ("last_name", re.compile(r"last_?name|surname|family_?name|nachname|achternaam|apellido|cognome|efternavn|"
                             r"efternamn|sukunimi"), {"type": "faker", "provider": "last_name"}),
    ("name", re.compile(r"(^|_)(full_?)?name$|customer_?name|person|(^|_)(nom|naam|nome)$"),
     {"type": "faker", "provider": "name"}),
    ("address", re.compile(r"address|street|addr|adresse|adres|strasse|direccion|indirizzo|endereco"),
     {"type": "faker", "provider": "street_address"}),
    ("city", re.compile(r"city|town|(^|_)(ort|stadt|ville|ciudad|citta|plaats|stad)(_|$)"),
     {"type": "faker", "provider": "city"}),
    ("postcode", re.compile(r"zip|postcode|postal|plz|(^|_)cap(_|$)|postleitzahl|code_?postal"),
     {"type": "faker", "provider": "postcode"}),
    ("birth_date", re.compile(r"birth|dob|geburt|naissance|nacimiento"), None),
    ("ip_address", re.compile(r"(^|_)ip(_|$)|ip_?addr"), {"type": "faker", "provider": "ipv4"}),
)
GENERATORS = {kind: generator for kind, _, generator in NAME_HINTS}
GENERATORS["free_text"] = {"type": "faker", "provider": "sentence"}

# A national id column named after its scheme.
_SCHEME_NAMES = (
    ("nl_bsn", re.compile(r"bsn|burgerservice")), ("de_steuer_id", re.compile(r"steuer|idnr")),
    ("fr_nir", re.compile(r"insee|" + _PARTS.format("nir"))),
    ("es_dni", re.compile(_PARTS.format("dni|nie|nif"))),
    ("it_codice_fiscale", re.compile(r"codice_?fiscale|" + _PARTS.format("cf"))),
    ("se_personnummer", re.compile(r"personnummer")), ("fi_hetu", re.compile(r"hetu|henkilotunnus")),
    ("uk_nino", re.compile(_PARTS.format("nino|nin"))), ("dk_cpr", re.compile(_PARTS.format("cpr"))),
    ("us_ssn", re.compile(r"ssn|social_?sec")),
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    text = text.replace(" ", "").upper()
    if not IBAN.match(text):
        return False
    moved = text[4:] + text[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _is_card(text: str) -> bool:
    if not CARD.match(text):
        return False
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def is_phone(text: str) -> bool:
    """A phone number in E.164, an international form, a North American form or a national form with a trunk 0."""
    text = PHONE_EXTENSION.sub("", text)
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 or DATE_LIKE.match(text):
        return False
    if PHONE_E164.match(text) or PHONE_NANP.match(text):
        return True
    if (PHONE_GROUPED.match(text) or PHONE_BRACKETED_COUNTRY.match(text)) and 9 <= digits <= 13:
        return not _is_card(text)
    if PHONE_INTL.match(text):
        # `00` and digits only is as likely a zero-padded code
        return text.startswith("+") or any(c in " .-()" for c in text)
    # 8 digits only when written in groups (`08-29 51 58`): bare, they are as likely a code
    low = 8 if sum(c in " /.-" for c in text) >= 2 else 9
    return bool(PHONE_NATIONAL.match(text)) and low <= digits <= 12 and not _is_card(text)


# Street words of the Faker address providers: a street type written as a word of its own (`Avenue`, `Calle`,
# `Via`, `rue`, `Travessa`) or glued to the street's name (`Kerkstraat`, `Storgatan`, `Nørregade`, `Kaivokatu`).
_STREET_WORD_ATTRIBUTES = {
    "en_US": ("street_suffixes",), "en_GB": ("street_suffixes",), "de_DE": ("street_suffixes_long",),
    "fr_FR": ("street_prefixes",), "es_ES": ("street_prefixes",), "it_IT": ("street_suffixes",),
    "pt_PT": ("street_prefixes",), "pt_BR": ("street_prefixes",), "pl_PL": ("street_prefixes",),
}
_STREET_ENDING_ATTRIBUTES = {
    "de_DE": ("street_suffixes_short",), "nl_NL": ("street_suffixes",), "sv_SE": ("street_suffixes",),
    "da_DK": ("street_suffixes",), "fi_FI": ("street_suffixes",),
}
_SECONDARY = frozenset({"apt", "apartment", "suite", "unit", "flat", "studio", "#", "appartamento", "piano", "puerta",
                        "piso", "bus", "app", "etage", "og"})
_HOUSE_NUMBER = re.compile(r"^\d{1,5}[A-Za-z]?,?$")


def _provider_words(locales: dict, attribute_kind: str) -> frozenset[str]:
    words: set[str] = set()
    for locale, attributes in locales.items():
        try:
            provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
        except ImportError:
            continue
        for attribute in attributes:
            for word in getattr(provider, attribute, ()) or ():
                folded = _fold(word.strip()).rstrip(".")
                if folded and (attribute_kind == "ending" or " " not in folded):
                    words.add(folded)
    return frozenset(words)


@functools.cache
def street_words() -> tuple[frozenset[str], tuple[str, ...]]:
    """(street types written as words, street endings glued to names), folded; built once per process."""
    endings = _provider_words(_STREET_ENDING_ATTRIBUTES, "ending") | {"strasse", "straat", "vagen", "gatan"}
    return _provider_words(_STREET_WORD_ATTRIBUTES, "word"), tuple(sorted(endings, key=len, reverse=True))


def _street_tokens(text: str) -> tuple[list[str], bool]:
    """The words of an address line without a leading or trailing secondary part (`Flat 4`, `Apt. 290`), and
    whether a leading one had a number."""
    tokens = text.replace(",", " ").split()
    numbered = False
    if len(tokens) > 2 and _fold(tokens[0]).rstrip(".") in _SECONDARY and _HOUSE_NUMBER.match(tokens[1]):
        tokens, numbered = tokens[2:], True
    for i, token in enumerate(tokens[1:], 1):
        if _fold(token).rstrip(".") in _SECONDARY:
            tokens = tokens[:i]
            break
    return tokens, numbered


def is_address(text: str) -> bool:
    """A street address line: a house number and a street (type words and endings of several countries)."""
    if ADDRESS_NUMBER_FIRST.match(text) or ADDRESS_TYPE_FIRST.match(text) or ADDRESS_NAME_FIRST.match(text):
        return True
    tokens, numbered = _street_tokens(text)
    if not 2 <= len(tokens) <= 8:
        return False
    words, endings = street_words()
    folded = [_fold(t).rstrip(".,") for t in tokens]
    if _HOUSE_NUMBER.match(tokens[0]) or numbered:  # `825 Garrett Circles`, `12 rue de la Paix`
        rest = folded[0 if numbered else 1:]
        return bool(rest) and (rest[-1] in words or rest[0] in words) and not any(c.isdigit() for c in "".join(rest))
    if not any(_HOUSE_NUMBER.match(t) for t in tokens[1:]):
        return False
    if folded[0] in words and (tokens[0][:1].isupper() or folded[0] in ("rue", "ulica", "aleja", "plac")):
        return True  # `Acceso Yolanda Sáez 119`, `Rotonda Claudia, 9`, `ulica Polna 5`
    first_number = next(i for i, t in enumerate(tokens) if _HOUSE_NUMBER.match(t))
    return any(word.endswith(endings) for word in folded[:first_number])  # `Storgatan 3`


def _fold(word: str) -> str:
    """Lower case without accents: `José` and `jose` are one name."""
    word = word.casefold()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@functools.cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of NAME_LOCALES, folded (`_fold`); built once per process."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:  # a Faker release without the locale
            continue
        for attributes, into in ((_FIRST_ATTRIBUTES, first), (_LAST_ATTRIBUTES, last)):
            for attribute in attributes:
                for name in getattr(provider, attribute, ()) or ():
                    if isinstance(name, str) and name:
                        folded = _fold(name)
                        into.add(folded)
                        into.add(folded.split()[-1])  # `van den Berg`: berg
    return frozenset(first), frozenset(last)


# Titles and degrees around a name (`Prof. Dr.`, `Mme`, `B.Sc.`, `MBA`): left out before the names are looked up.
_TITLES = frozenset({"dr", "prof", "mr", "mrs", "ms", "miss", "mx", "sir", "dame", "herr", "frau", "mme", "mlle",
                     "mevr", "dhr", "sr", "sra", "srta", "sig", "sigra", "dott", "ing", "mag", "phd", "mba", "md", "jr",
                     "ii", "iii", "iv", "dipl", "univ"})


def _known(word: str, names: frozenset[str]) -> bool:
    return word in names or ("-" in word and any(part in names for part in word.split("-") if part))


def name_shape(text: str) -> str | None:
    """`first`, `last` or `both` for one known name, `full` for a personal name of several words, else None."""
    if any(c.isdigit() for c in text):
        return None
    words = [w for w in text.replace(",", " ").split() if "." not in w.rstrip(".") and
             _fold(w.rstrip(".")) not in _TITLES and not (w.endswith(".") and len(w) <= 5)]
    if not 1 <= len(words) <= 5:
        return None
    first, last = name_lists()
    folded = []
    for word in words:
        bare = word.strip(".'")
        if not bare:
            return None
        if _fold(bare) in _PARTICLES and len(words) > 1:
            continue
        if bare[0].islower() or not bare[0].isalpha():  # kanji and other uncased scripts pass
            return None
        folded.append(_fold(bare))
    if not folded:
        return None
    if len(words) == 1:
        in_first, in_last = _known(folded[0], first), _known(folded[0], last)
        return "both" if in_first and in_last else "first" if in_first else "last" if in_last else None
    # Both ends known names, in either order (`Yamada Taro`, `Smith, John`): a place of two words rarely is.
    if (_known(folded[0], first) or _known(folded[0], last)) and (_known(folded[-1], last) or
                                                                    _known(folded[-1], first)):
        return "full"
    return None


@dataclass(frozen=True)
class Detector:
    kind: str
    check: Callable[[str], bool]
    scheme: str | None = None
    strong: bool = True  # a check digit or an unmistakable form: random look-alikes mostly fail


# Written without separators, a US SSN is any 9-digit number: only its written form counts as evidence.
_NEEDS_SEPARATOR = frozenset({"us_ssn"})


def _scheme_check(code: str) -> Callable[[str], bool]:
    if code in _NEEDS_SEPARATOR:
        return lambda v: not v.isdigit() and national_ids.is_valid(code, v)
    return functools.partial(national_ids.is_valid, code)


NATIONAL_ID_DETECTORS = tuple(
    Detector("national_id", _scheme_check(code), code, scheme.check_digit)
    for code, scheme in national_ids.SCHEMES.items())
VALUE_DETECTORS = (
    Detector("email", lambda v: bool(EMAIL.match(v))),
    Detector("iban", iban_ok),
    Detector("card", _is_card),
    *(d for d in NATIONAL_ID_DETECTORS if d.strong),
    Detector("phone", lambda v: is_phone(v) and not _is_card(v), strong=False),
    *(d for d in NATIONAL_ID_DETECTORS if not d.strong),
    Detector("address", is_address, strong=False),
    Detector("name", lambda v: name_shape(v) is not None, strong=False),
)


@dataclass
class Finding:
    kind: str
    confidence: float
    evidence: str  # "name", "values" or "name and values"
    share: float  # of sampled non-null values matching the kind
    scheme: str | None = None  # national ids: the code in national_ids.SCHEMES

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "confidence": round(self.confidence, 3), "evidence": self.evidence,
               "matching_share": round(self.share, 4)}
        if self.scheme is not None:
            out["scheme"] = self.scheme
        return out


def _phone_in(text: str) -> bool:
    """A run of digits and separators in `text` that reads as a phone number (not an order number)."""
    return any(is_phone(match.group().strip()) for match in PHONE_IN.finditer(text))


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{7,32}[A-Za-z0-9]")
_STRONG_SCHEMES = tuple(code for code, scheme in national_ids.SCHEMES.items() if scheme.check_digit)


def _checked_number_in(text: str) -> bool:
    """An IBAN, a card number or a national id with a right check digit written as one word of `text`."""
    for token in _TOKEN.findall(text):
        if sum(c.isdigit() for c in token) < 6:
            continue
        if iban_ok(token) or _is_card(token) or any(national_ids.is_valid(c, token) for c in _STRONG_SCHEMES):
            return True
    return False


def _lowered(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _fold(column)).strip("_")


def _name_kind(column: str) -> str | None:
    lowered = _lowered(column)
    for kind, pattern, _ in NAME_HINTS:
        if pattern.search(lowered):
            return kind
    return None


def _name_scheme(column: str) -> str | None:
    lowered = _lowered(column)
    for code, pattern in _SCHEME_NAMES:
        if pattern.search(lowered):
            return code
    return None


def _shares(texts: list[str], detectors) -> dict[Detector, float]:
    """Share of `texts` each detector matches; a detector matching under SCREEN_SHARE of the first
    SCREEN_VALUES is not run on the rest (it cannot reach FINDING_SHARE but by a skewed sample)."""
    screen = texts[:SCREEN_VALUES]
    shares: dict[Detector, float] = {}
    for detector in detectors:
        matched = sum(1 for v in screen if detector.check(v))
        if not matched:
            continue
        if len(texts) > len(screen):
            if matched / len(screen) < SCREEN_SHARE:
                continue
            matched += sum(1 for v in texts[len(screen):] if detector.check(v))
        shares[detector] = matched / len(texts)
    return shares


def _names_kind(texts: list[str], by_name: str | None) -> str:
    """`name` (several words), `first_name` or `last_name` for a column of personal names."""
    shapes = [name_shape(v) for v in texts[:SCREEN_VALUES * 4]]
    full = shapes.count("full")
    first, last, both = shapes.count("first"), shapes.count("last"), shapes.count("both")
    if full >= first + last + both:
        return "name"
    if by_name in ("first_name", "last_name"):
        return by_name
    return "first_name" if first >= last else "last_name"


def findings_for(column: str, kind: str, values: list) -> list[Finding]:
    """PII findings of one column. `values` are the sampled non-null values: text (strings are checked by every
    detector) or, for an integer column, its numbers (checked as national ids only: a BSN, a Steuer-ID or a
    personnummer is often stored as a number)."""
    found: list[Finding] = []
    by_name = _name_kind(column)
    name_scheme = _name_scheme(column) if by_name == "national_id" else None
    if kind == "int":
        texts = [str(v) for v in values[:MAX_VALUES] if isinstance(v, int) and not isinstance(v, bool)]
        detectors = NATIONAL_ID_DETECTORS
    else:
        texts = [v.strip() for v in values[:MAX_VALUES] if isinstance(v, str)]
        detectors = VALUE_DETECTORS
    shares = _shares(texts, detectors) if texts else {}
    free_text = 0.0
    if kind != "int" and texts:
        long_texts = [v for v in texts if len(v) > 40 and " " in v]
        if len(long_texts) > len(texts) / 2:
            hits = sum(1 for v in long_texts if EMAIL_IN.search(v) or _phone_in(v) or _checked_number_in(v))
            free_text = hits / len(long_texts)
    order = {detector: i for i, detector in enumerate(detectors)}
    best = max(shares.items(), key=lambda item: (item[1], -order[item[0]])) if shares else None
    if best is not None and best[1] >= FINDING_SHARE:
        detector, share = best
        value_kind = _names_kind(texts, by_name) if detector.kind == "name" else detector.kind
        name_agrees = by_name == value_kind or (detector.kind == "name" and by_name in (
            "name", "first_name", "last_name"))
        if detector.strong:
            confidence = 0.35 + 0.6 * share + (0.1 if name_agrees else 0)
        else:  # a format only: a look-alike passes as easily as a real one
            confidence = 0.3 + 0.5 * share + (0.15 if name_agrees else 0)
        evidence = "name and values" if name_agrees else "values"
        found.append(Finding(value_kind, min(1.0, confidence), evidence, share, detector.scheme))
    elif free_text:
        found.append(Finding("free_text", min(1.0, 0.35 + 0.6 * free_text), "values", free_text))
    elif by_name is not None:
        share = max((s for d, s in shares.items() if d.kind == by_name and name_scheme in (None, d.scheme)),
                    default=0.0)
        # A name alone is weaker evidence; numbers under a PII-looking name (an id) weaker still.
        confidence = 0.5 if kind == "string" else 0.3
        if by_name == "birth_date" and kind in ("date", "datetime"):
            confidence = 0.7
        checked = by_name in ("iban", "card") or (
            name_scheme is not None and national_ids.SCHEMES[name_scheme].check_digit)
        if checked and len(texts) >= 20 and share < 0.1:
            confidence = 0.2  # named like a checked number, and the values fail its check
        found.append(Finding(by_name, confidence, "name", share, name_scheme))
    return found


def generator_for(kind: str, scheme: str | None = None) -> dict | None:
    """The spec the inferred document uses for a PII kind (a Faker provider or a check-digit type). A national
    id of a known scheme: the `national_id` type of that scheme (version 1.1), whose every value passes the
    scheme's check."""
    if kind == "national_id" and scheme in national_ids.SCHEMES:
        return {"type": "national_id", "scheme": scheme}
    generator = GENERATORS.get(kind)
    return dict(generator) if generator else None
