"""Names in the Latin form an MRZ can hold, per ICAO Doc 9303 part 3 (section 6, transliteration tables).

`icao_latin` writes a name in upper-case A-Z, keeping spaces and hyphens (they separate name parts) and
dropping apostrophes and other punctuation, as the standard does. Latin letters with diacritics lose the
marks except for the letters the standard spells out (Ä -> AE, Å -> AA, Ö -> OE, Ü -> UE, ß -> SS, ...);
Cyrillic and Greek follow the standard's tables. A letter it has no rule for (Han, Arabic, ...) raises
Untransliterable, naming it: such a name is never shortened silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# Latin letters written as more than their base letter, and letters Unicode does not decompose.
LATIN = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Ü": "UE", "ß": "SS", "ẞ": "SS", "Þ": "TH",
    "Œ": "OE", "Ĳ": "IJ", "Ð": "D", "Đ": "D", "Ħ": "H", "Ł": "L", "Ŀ": "L", "Ŋ": "N", "Ŧ": "T", "ı": "I",
    "ĸ": "Q", "Ə": "E", "Ʒ": "Z",
}  # fmt: skip

CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Ђ": "D", "Ѓ": "G", "Е": "E", "Ё": "E",
    "Є": "IE", "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I", "Ї": "I", "Й": "I", "Ј": "J", "К": "K",
    "Л": "L", "Љ": "LJ", "М": "M", "Н": "N", "Њ": "NJ", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "Ћ": "C", "Ќ": "K", "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Џ": "DZ", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip

GREEK = {
    "Α": "A", "Ά": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Έ": "E", "Ζ": "Z", "Η": "I", "Ή": "I",
    "Θ": "TH", "Ι": "I", "Ί": "I", "Ϊ": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O",
    "Ό": "O", "Π": "P", "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Ύ": "Y", "Ϋ": "Y", "Φ": "F", "Χ": "CH",
    "Ψ": "PS", "Ω": "O", "Ώ": "O",
}  # fmt: skip

# Upper- and lower-case forms of every rule (lower-case final sigma included).
_RULES: dict[str, str] = {}
for _table in (LATIN, CYRILLIC, GREEK):
    for _letter, _latin in _table.items():
        _RULES[_letter] = _latin
        _RULES.setdefault(_letter.lower(), _latin)
_RULES["ς"] = "S"


class Untransliterable(ValueError):
    """A name holds a letter with no Latin form in ICAO 9303."""

    def __init__(self, text: str, char: str):
        self.text = text
        self.char = char
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        super().__init__(f"{text!r} cannot be written in an MRZ: {char!r} ({name}) has no Latin transliteration")


def _letter(char: str, text: str) -> str:
    if "A" <= char <= "Z":
        return char
    if "a" <= char <= "z":
        return char.upper()
    if char in _RULES:
        return _RULES[char]
    base = unicodedata.normalize("NFKD", char)
    marks_removed = "".join(c for c in base if not unicodedata.combining(c))
    if marks_removed and marks_removed != char:
        return "".join(_letter(c, text) for c in marks_removed)
    raise Untransliterable(text, char)


# Apostrophes written as modifier letters (Ukrainian "Демʼян", Hawaiian okina): left out like "'".
_APOSTROPHE_LETTERS = frozenset("ʼʻʽʹˈ")

# Greek "ου" is one sound, written OU (ELOT 743, as on Greek passports) rather than letter by letter.
_GREEK_DIGRAPHS = {"ΟΥ": "OU", "Ου": "OU", "ου": "OU", "ΟΎ": "OU", "Ού": "OU", "ού": "OU"}


def icao_latin(text: str) -> str:
    """`text` in upper-case A-Z, spaces and hyphens (see the module docstring); Untransliterable otherwise."""
    source = text
    for digraph, latin in _GREEK_DIGRAPHS.items():
        source = source.replace(digraph, latin)
    out = []
    for char in source:
        category = unicodedata.category(char)
        if char.isspace() or category == "Pd":
            out.append(" " if char.isspace() else "-")
        elif category.startswith("L") and char not in _APOSTROPHE_LETTERS:
            out.append(_letter(char, text))
        elif category.startswith("M"):
            continue  # a combining mark written separately from its letter
        elif category.startswith("P") or char in _APOSTROPHE_LETTERS:
            continue  # apostrophes, dots and the like are left out of names by the standard
        else:
            raise Untransliterable(text, char)
    return "".join(out)


def can_write(text: str) -> bool:
    try:
        icao_latin(text)
    except Untransliterable:
        return False
    return True


def latin_with(romanised: dict[str, str]) -> Callable[[str], str]:
    """icao_latin that first replaces each word found in `romanised` (native -> romanised form, from the
    Faker data of the name's locale) by its romanised form."""
    if not romanised:
        return icao_latin

    def latin(text: str) -> str:
        return icao_latin(" ".join(romanised.get(word, word) for word in text.split()))

    return latin
