"""The Faker providers a `faker` column may name, and a schema with bounds for each one's arguments.

Faker methods run with the document's arguments, in validation (one sample) and for every row, so only
methods listed here are callable, only with the arguments listed for them, each typed and bounded: a
provider can never be asked for a 60-million-character string or a two-million-item list.

Providers that expand format strings (`pystr_format`, `parse`, `format`, `json`, `xml`, `csv`, `dsv`,
`fixed_width`, ...) are not listed at all: their `{{token}}` syntax calls any attribute of the Faker
generator (`{{seed_instance}}`, `{{__class__}}`, `{{binary}}`). `bothify`, `numerify`, `lexify` and
`hexify` are listed: they only replace the placeholder characters `# % ! @ ? ^` one for one (no tokens),
so their output is no longer than their bounded `text`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import limits
from .faker_bulk import BULK_PROVIDERS

# Named so that a refusal can say why, rather than just "not allowed".
FORMAT_STRING_PROVIDERS = frozenset({
    "pystr_format", "parse", "format", "json", "json_bytes", "xml", "csv", "tsv", "psv", "dsv", "fixed_width",
    "set_formatter", "get_formatter",
})

# Longest value of a provider without a length argument, for the row-size estimate (the longest real one,
# user_agent or an address, is well under this).
DEFAULT_CHARS = 256


@dataclass(frozen=True)
class Arg:
    """One argument: kind `int`, `number`, `bool` or `text`, with bounds (text: length) or allowed choices."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None

    def problem(self, value: object) -> str | None:
        if self.kind == "bool":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "int":
            if type(value) is not int:
                return "must be an integer"
        elif self.kind == "number":
            if type(value) not in (int, float) or value != value:
                return "must be a number"
        elif self.kind == "text":
            if not isinstance(value, str):
                return "must be a string"
            if self.low is not None and len(value) < self.low:
                return f"must have at least {self.low:g} characters"
            if self.high is not None and len(value) > self.high:
                return f"must have at most {self.high:g} characters"
            return None
        if self.choices is not None:
            return None if value in self.choices else f"must be one of {', '.join(map(str, self.choices))}"
        if self.low is not None and value < self.low:
            return f"must be at least {self.low:g}"
        if self.high is not None and value > self.high:
            return f"must be at most {self.high:g}"
        return None


def _int(low, high) -> Arg:
    return Arg("int", low, high)


BOOL = Arg("bool")
COUNT = _int(0, limits.MAX_FAKER_ITEMS)
TEXT = Arg("text", 0, limits.MAX_FAKER_ARG_CHARS)
LETTERS = Arg("text", 1, limits.MAX_FAKER_ARG_CHARS)


@dataclass(frozen=True)
class Provider:
    args: Mapping[str, Arg]
    # Longest value (characters of its JSON text) for the given arguments.
    max_chars: Callable[[dict], int] = lambda args: DEFAULT_CHARS


def _get(args: dict, name: str, default):
    return args.get(name, default)


_ITEMS_CHARS = 200  # one element of pylist/pydict: a short string, number, date or URL, quoted, with its key
# Faker's variable counts go up to 1.4 times the asked number; lorem words are under 20 characters.
_WORD = 30
_SENTENCE = 2 * 6 * _WORD

PROVIDERS: dict[str, Provider] = {name: Provider({}) for name in BULK_PROVIDERS | {
    # internet, files, colours, identifiers
    "ascii_email", "ascii_free_email", "ascii_safe_email", "ascii_company_email", "url", "uri", "uri_path",
    "slug", "ipv4", "ipv6", "ipv4_private", "ipv4_public", "mac_address", "port_number", "user_agent",
    "chrome", "firefox", "safari", "opera", "file_name", "file_extension", "file_path", "mime_type",
    "hex_color", "color", "rgb_color", "rgb_css_color", "uuid4", "md5", "sha1", "sha256", "emoji",
    # codes and numbers
    "ssn", "ein", "itin", "ean8", "ean13", "isbn10", "isbn13", "bban", "iban", "swift8", "swift11", "aba",
    "credit_card_number", "credit_card_provider", "credit_card_expire", "credit_card_security_code",
    "cryptocurrency_code", "cryptocurrency_name", "currency_symbol", "pricetag", "license_plate", "vin",
    "passport_number", "msisdn", "latitude", "longitude", "coordinate", "latlng", "local_latlng",
    "random_digit", "random_digit_not_null", "random_letter", "random_lowercase_letter",
    "random_uppercase_letter", "null_boolean", "language_code", "locale", "job", "word",
    # dates and times (no arguments: Faker's relative-date strings are not this language's)
    "date", "time", "iso8601", "date_time", "date_object", "time_object", "date_this_year", "date_this_month",
    "date_this_decade", "date_time_this_year", "date_time_this_month", "date_time_this_decade", "day_of_week",
    "day_of_month", "month", "month_name", "year", "century", "timezone", "am_pm", "unix_time",
}}
PROVIDERS.update({
    "pyint": Provider({"min_value": _int(-limits.INT_LIMIT, limits.INT_LIMIT),
                       "max_value": _int(-limits.INT_LIMIT, limits.INT_LIMIT), "step": _int(1, limits.INT_LIMIT)},
                      lambda args: 20),
    "random_int": Provider({"min": _int(-limits.INT_LIMIT, limits.INT_LIMIT),
                            "max": _int(-limits.INT_LIMIT, limits.INT_LIMIT), "step": _int(1, limits.INT_LIMIT)},
                           lambda args: 20),
    "random_number": Provider({"digits": _int(1, 18), "fix_len": BOOL}, lambda args: 20),
    "pyfloat": Provider({"left_digits": _int(0, 15), "right_digits": _int(0, 15), "positive": BOOL},
                        lambda args: 40),
    "pydecimal": Provider({"left_digits": _int(0, 15), "right_digits": _int(0, 15), "positive": BOOL},
                          lambda args: 40),
    "pybool": Provider({"truth_probability": _int(0, 100)}, lambda args: 5),
    "boolean": Provider({"chance_of_getting_true": _int(0, 100)}, lambda args: 5),
    "pystr": Provider({"min_chars": _int(0, limits.MAX_STRING_LENGTH), "max_chars": _int(0, limits.MAX_STRING_LENGTH),
                       "prefix": TEXT, "suffix": TEXT},
                      lambda args: 2 + max(_get(args, "max_chars", 20), _get(args, "min_chars", 0) or 0)
                      + len(_get(args, "prefix", "")) + len(_get(args, "suffix", ""))),
    "password": Provider({"length": _int(4, limits.MAX_FAKER_ARG_CHARS), "special_chars": BOOL, "digits": BOOL,
                          "upper_case": BOOL, "lower_case": BOOL},
                         lambda args: 2 + 2 * _get(args, "length", 10)),  # JSON may escape each character
    "bothify": Provider({"text": TEXT, "letters": LETTERS}, lambda args: 2 + 6 * len(_get(args, "text", "## ??"))),
    "lexify": Provider({"text": TEXT, "letters": LETTERS}, lambda args: 2 + 6 * len(_get(args, "text", "????"))),
    "numerify": Provider({"text": TEXT}, lambda args: 2 + 6 * len(_get(args, "text", "###"))),
    "hexify": Provider({"text": TEXT, "upper": BOOL}, lambda args: 2 + 6 * len(_get(args, "text", "^^^^"))),
    "random_letters": Provider({"length": COUNT}, lambda args: 2 + 5 * _get(args, "length", 16)),
    "words": Provider({"nb": COUNT}, lambda args: 2 + 40 * _get(args, "nb", 3)),
    "sentence": Provider({"nb_words": _int(1, limits.MAX_FAKER_ITEMS), "variable_nb_words": BOOL},
                         lambda args: 2 + 2 * _WORD * _get(args, "nb_words", 6)),
    "sentences": Provider({"nb": COUNT}, lambda args: 2 + (_SENTENCE + 4) * _get(args, "nb", 3)),
    "paragraph": Provider({"nb_sentences": _int(1, limits.MAX_FAKER_ITEMS), "variable_nb_sentences": BOOL},
                          lambda args: 2 + 2 * _SENTENCE * _get(args, "nb_sentences", 3)),
    "paragraphs": Provider({"nb": _int(0, 20)}, lambda args: 2 + (6 * _SENTENCE + 4) * _get(args, "nb", 3)),
    "text": Provider({"max_nb_chars": _int(5, limits.MAX_STRING_LENGTH)},
                     lambda args: 2 + _get(args, "max_nb_chars", 200)),
    "pylist": Provider({"nb_elements": COUNT, "variable_nb_elements": BOOL},
                       lambda args: 2 + 2 * _ITEMS_CHARS * _get(args, "nb_elements", 10)),
    "pytuple": Provider({"nb_elements": COUNT, "variable_nb_elements": BOOL},
                        lambda args: 2 + 2 * _ITEMS_CHARS * _get(args, "nb_elements", 10)),
    "pydict": Provider({"nb_elements": COUNT, "variable_nb_elements": BOOL},
                       lambda args: 2 + 2 * _ITEMS_CHARS * _get(args, "nb_elements", 10)),
    "date_of_birth": Provider({"minimum_age": _int(0, 115), "maximum_age": _int(0, 115)}),
    "ean": Provider({"length": Arg("int", choices=(8, 13))}),
    "swift": Provider({"length": Arg("int", choices=(8, 11)), "primary": BOOL}),
    "ipv4": Provider({"network": BOOL}),
    "ipv6": Provider({"network": BOOL}),
    "mac_address": Provider({"multicast": BOOL}),
    "uri": Provider({"deep": _int(1, 10)}),
    "uri_path": Provider({"deep": _int(1, 10)}),
})


def argument_problems(provider: str, args: Mapping) -> list[tuple[str, str]]:
    """(argument name or "", reason) for everything wrong with calling `provider` with `args`."""
    found = PROVIDERS.get(provider)
    if found is None:
        if provider in FORMAT_STRING_PROVIDERS:
            return [("", f"Faker provider {provider!r} expands format strings, which can call any Faker "
                         "method; it is not allowed")]
        return [("", f"Faker provider {provider!r} is not one of the allowed providers "
                     "(docs/schema-language.md lists them)")]
    problems = []
    for name, value in args.items():
        schema = found.args.get(name)
        if schema is None:
            allowed = ", ".join(found.args) or "none"
            problems.append((name, f"unknown argument for Faker provider {provider!r} (allowed: {allowed})"))
            continue
        problem = schema.problem(value)
        if problem:
            problems.append((name, problem))
    return problems


def max_chars(provider: str, args: Mapping) -> int:
    """Longest JSON text of one value of an allowed provider called with checked `args`."""
    found = PROVIDERS.get(provider)
    return DEFAULT_CHARS if found is None else int(found.max_chars(dict(args)))
