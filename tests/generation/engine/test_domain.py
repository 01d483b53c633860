"""Domain identifiers: every value is checked with a validator written here from the published rules."""

import datetime
import re
import unicodedata

import numpy as np
import pytest

from apps.generation.engine import domain

N = 2000


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------ independent validators

VIN_LETTER_VALUES = {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # fmt: skip
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_is_valid(vin: str) -> bool:
    if len(vin) != 17 or not re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", vin):
        return False
    total = sum(
        (int(char) if char.isdigit() else VIN_LETTER_VALUES[char]) * weight
        for char, weight in zip(vin, VIN_WEIGHTS, strict=True)
    )
    expected = total % 11
    return vin[8] == ("X" if expected == 10 else str(expected))


def luhn_is_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return number.isdigit() and total % 10 == 0


IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "XK": 20,
}  # fmt: skip

# BBAN shapes of the countries the engine contract names, transcribed from the SWIFT IBAN registry.
BBAN_PATTERNS = {
    "AT": r"\d{16}",
    "BE": r"\d{12}",
    "CH": r"\d{5}[A-Z0-9]{12}",
    "DE": r"\d{18}",
    "DK": r"\d{14}",
    "ES": r"\d{20}",
    "FI": r"\d{14}",
    "FR": r"\d{10}[A-Z0-9]{11}\d{2}",
    "GB": r"[A-Z]{4}\d{14}",
    "IE": r"[A-Z]{4}\d{14}",
    "IT": r"[A-Z]\d{10}[A-Z0-9]{12}",
    "LU": r"\d{3}[A-Z0-9]{13}",
    "NL": r"[A-Z]{4}\d{10}",
    "NO": r"\d{11}",
    "PL": r"\d{24}",
    "PT": r"\d{21}",
    "SE": r"\d{20}",
}
CONTRACT_COUNTRIES = set(BBAN_PATTERNS)


def iban_is_valid(value: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", value) or len(value) != IBAN_LENGTHS.get(value[:2]):
        return False
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def belgian_bban_is_valid(bban: str) -> bool:
    remainder = int(bban[:10]) % 97
    return int(bban[10:]) == (remainder or 97)


def french_bban_is_valid(bban: str) -> bool:
    # RIB letter values: A, J -> 1; B, K, S -> 2; ...; I, R, Z -> 9 (S starts at 2, not 1).
    letters = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789", strict=True))
    digits = "".join(letters.get(char, char) for char in bban)
    return int(digits) % 97 == 0


def spanish_bban_is_valid(bban: str) -> bool:
    weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]

    def control(digits: str) -> int:
        value = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        return {10: 1, 11: 0}.get(value, value)

    return bban[8:10] == f"{control('00' + bban[:8])}{control(bban[10:])}"


def finnish_bban_is_valid(bban: str) -> bool:
    return luhn_is_valid(bban)


def portuguese_bban_is_valid(bban: str) -> bool:
    return int(bban) % 97 == 1


NATIONAL_VALIDATORS = {
    "BE": belgian_bban_is_valid,
    "ES": spanish_bban_is_valid,
    "FI": finnish_bban_is_valid,
    "FR": french_bban_is_valid,
    "MC": french_bban_is_valid,
    "PT": portuguese_bban_is_valid,
}


def mrz_digit(field: str) -> str:
    def value(char: str) -> int:
        if char == "<":
            return 0
        return int(char) if char.isdigit() else ord(char) - ord("A") + 10

    return str(sum(value(char) * (7, 3, 1)[i % 3] for i, char in enumerate(field)) % 10)


def assert_valid_td3(mrz: str) -> tuple[str, str]:
    line1, line2 = mrz.split("\n")
    assert len(line1) == 44 and len(line2) == 44
    assert re.fullmatch(r"P<[A-Z<]{42}", line1)
    assert re.fullmatch(r"[A-Z0-9<]{44}", line2)
    assert line2[9] == mrz_digit(line2[0:9])
    assert line2[19] == mrz_digit(line2[13:19])
    assert line2[20] in "MF<"
    assert line2[27] == mrz_digit(line2[21:27])
    assert line2[42] == mrz_digit(line2[28:42])
    assert line2[43] == mrz_digit(line2[0:10] + line2[13:20] + line2[21:43])
    return line1, line2


# Published examples that the validators above must accept, so that a validator bug cannot hide a
# generator bug (and a tampered digit must be rejected).
@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (vin_is_valid, "1M8GDM9AXKP042788", "1M8GDM9A1KP042788"),
        (vin_is_valid, "11111111111111111", "11111111211111111"),
        (luhn_is_valid, "4111111111111111", "4111111111111112"),
        (luhn_is_valid, "378282246310005", "378282246310006"),
        (iban_is_valid, "GB82WEST12345698765432", "GB82WEST12345698765433"),
        (iban_is_valid, "DE89370400440532013000", "DE89370400440532013001"),
        (iban_is_valid, "FR1420041010050500013M02606", "FR1420041010050500013M0260"),
        (belgian_bban_is_valid, "539007547034", "539007547035"),
        (french_bban_is_valid, "20041010050500013M02606", "20041010050500013M02607"),
        (spanish_bban_is_valid, "21000418450200051332", "21000418460200051332"),
        (finnish_bban_is_valid, "12345600000785", "12345600000786"),
        (portuguese_bban_is_valid, "000201231234567890154", "000201231234567890155"),
    ],
)
def test_validators_agree_with_published_examples(validator, good, bad):
    assert validator(good)
    assert not validator(bad)


# ------------------------------------------------------------------------------------------------ VIN


def test_vins_have_valid_check_digit_alphabet_and_model_year():
    vins = domain.vin(rng(), N)
    assert len(vins) == N
    for value in vins:
        assert vin_is_valid(value), value
        assert value[9] in "ABCDEFGHJKLMNPRSTVWXY123456789"
    # The check digit takes the value X about one time in eleven; make sure that branch is exercised.
    assert any(value[8] == "X" for value in vins)
    assert len(set(vins)) == N


def test_vins_start_with_manufacturer_identifiers_from_a_fixed_table():
    wmis = {value[:3] for value in domain.vin(rng(), N)}
    assert 10 <= len(wmis) <= 100
    assert {"WVW", "1HG", "JTD"} & wmis


# --------------------------------------------------------------------------------------- credit cards


def card_brand(number: str) -> str | None:
    """Brand by issuer prefix and length, following the card networks' published ranges."""
    length = len(number)
    if number.startswith("4") and length == 16:
        return "visa"
    if (51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720) and length == 16:
        return "mastercard"
    if number[:2] in ("34", "37") and length == 15:
        return "amex"
    if (number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649) and length == 16:
        return "discover"
    if 3528 <= int(number[:4]) <= 3589 and length == 16:
        return "jcb"
    if (number[:2] in ("36", "38", "39") or 300 <= int(number[:3]) <= 305) and length == 14:
        return "diners"
    return None


@pytest.mark.parametrize("brand", sorted(domain.CREDIT_CARD_BRANDS))
def test_credit_cards_of_one_brand_pass_luhn_and_match_the_brand(brand):
    numbers = domain.credit_card(rng(), N, brand)
    assert len(numbers) == N
    for number in numbers:
        assert luhn_is_valid(number), number
        assert card_brand(number) == brand, number


def test_credit_card_brands_cover_the_contract():
    assert {"visa", "mastercard", "amex", "discover"} <= domain.CREDIT_CARD_BRANDS


def test_mastercard_uses_both_the_5_and_the_2_series():
    numbers = domain.credit_card(rng(), N, "mastercard")
    assert {number[0] for number in numbers} == {"2", "5"}


def test_credit_cards_without_brand_mix_brands_and_all_pass_luhn():
    numbers = domain.credit_card(rng(), N)
    assert all(luhn_is_valid(number) for number in numbers)
    brands = [card_brand(number) for number in numbers]
    assert None not in brands
    assert set(brands) == domain.CREDIT_CARD_BRANDS
    assert brands.count("visa") > brands.count("amex")


def test_credit_card_brand_names_are_case_and_punctuation_insensitive():
    numbers = domain.credit_card(rng(), 50, "American Express")
    assert all(card_brand(number) == "amex" for number in numbers)
    assert domain.credit_card(rng(), 50, "VISA") == domain.credit_card(rng(), 50, "visa")


@pytest.mark.parametrize("brand", ["unionpay", "", 4])
def test_unknown_credit_card_brand_is_rejected_with_the_choices(brand):
    with pytest.raises(ValueError, match=r"credit card brand .*") as info:
        domain.credit_card(rng(), 5, brand)
    if isinstance(brand, str):
        assert "visa" in str(info.value)


# ------------------------------------------------------------------------------------------------ IBAN


def test_iban_countries_cover_the_contract():
    assert CONTRACT_COUNTRIES <= domain.IBAN_COUNTRIES
    assert domain.IBAN_COUNTRIES.issubset(IBAN_LENGTHS)


@pytest.mark.parametrize("country", sorted(domain.IBAN_COUNTRIES))
def test_ibans_of_one_country_pass_mod97_and_have_its_length(country):
    values = domain.iban(rng(), 300, country)
    assert len(values) == 300
    for value in values:
        assert value.startswith(country)
        assert iban_is_valid(value), value
        if country in BBAN_PATTERNS:
            assert re.fullmatch(BBAN_PATTERNS[country], value[4:]), value
        if country in NATIONAL_VALIDATORS:
            assert NATIONAL_VALIDATORS[country](value[4:]), value
    assert len(set(values)) == 300


def test_ibans_without_country_mix_countries():
    values = domain.iban(rng(), N)
    assert all(iban_is_valid(value) for value in values)
    assert len({value[:2] for value in values}) > len(domain.IBAN_COUNTRIES) // 2


def test_iban_country_is_case_insensitive():
    assert domain.iban(rng(), 20, " de ") == domain.iban(rng(), 20, "DE")


def test_alphanumeric_bban_fields_use_letters_and_digits():
    accounts = "".join(value[14:25] for value in domain.iban(rng(), 500, "FR"))
    assert re.search(r"[A-Z]", accounts) and re.search(r"\d", accounts)


@pytest.mark.parametrize("country", ["US", "XX", "DEU", ""])
def test_unknown_iban_country_is_rejected_with_the_choices(country):
    with pytest.raises(ValueError, match=r"unsupported IBAN country .*expected one of .*DE"):
        domain.iban(rng(), 5, country)


# ----------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "make",
    [
        lambda g: domain.vin(g, 500),
        lambda g: domain.credit_card(g, 500),
        lambda g: domain.credit_card(g, 500, "discover"),
        lambda g: domain.iban(g, 500),
        lambda g: domain.iban(g, 500, "GB"),
    ],
)
def test_same_generator_state_gives_same_values(make):
    assert make(rng(123)) == make(rng(123))
    assert make(rng(123)) != make(rng(124))


def test_zero_rows_and_negative_counts():
    assert domain.vin(rng(), 0) == []
    assert domain.credit_card(rng(), 0) == []
    assert domain.iban(rng(), 0, "NL") == []
    with pytest.raises(ValueError, match="non-negative"):
        domain.vin(rng(), -1)


def test_numpy_integer_counts_are_accepted():
    assert len(domain.iban(rng(), np.int64(3))) == 3


# ------------------------------------------------------------------------------------------- MRZ TD3

SPECIMEN_LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


def mrz(**overrides):
    row = {
        "document_number": "L898902C3",
        "nationality": "UTO",
        "birth_date": "1974-08-12",
        "sex": "F",
        "expiry_date": "2012-04-15",
        "surname": "Eriksson",
        "given_names": "Anna Maria",
        "issuing_state": "UTO",
    }
    row.update(overrides)
    return domain.mrz_td3(**{name: [value] for name, value in row.items()})[0]


def test_icao_specimen_is_reproduced_exactly_with_optional_data():
    assert mrz(optional_data="ZE184226B") == SPECIMEN_LINE1 + "\n" + SPECIMEN_LINE2
    assert_valid_td3(SPECIMEN_LINE1 + "\n" + SPECIMEN_LINE2)


def test_icao_specimen_without_optional_data_keeps_fields_and_checks():
    line1, line2 = assert_valid_td3(mrz())
    assert line1 == SPECIMEN_LINE1
    assert line2[:28] == SPECIMEN_LINE2[:28]
    # All-filler optional data has check digit 0, and the composite digit follows from it.
    assert line2[28:43] == "<" * 14 + "0"


def test_dates_accept_date_objects_datetimes_and_iso_strings():
    expected = mrz()
    assert mrz(birth_date=datetime.date(1974, 8, 12), expiry_date=datetime.date(2012, 4, 15)) == expected
    assert mrz(birth_date=datetime.datetime(1974, 8, 12, 10, 30), expiry_date="2012-04-15T00:00:00Z") == expected
    assert mrz(birth_date=np.datetime64("1974-08-12")) == expected


def test_missing_values_become_fillers_with_valid_checks():
    line1, line2 = assert_valid_td3(
        mrz(birth_date=None, sex=None, nationality=None, document_number=None, given_names=None)
    )
    assert line1 == "P<UTOERIKSSON" + "<" * 31
    assert line2[0:10] == "<" * 9 + "0"
    assert line2[10:21] == "<" * 3 + "<" * 6 + "0" + "<"


@pytest.mark.parametrize(
    ("sex", "code"),
    [("M", "M"), ("male", "M"), ("Female", "F"), ("f", "F"), ("X", "<"), ("unspecified", "<"), ("<", "<")],
)
def test_sex_is_normalised(sex, code):
    _line1, line2 = assert_valid_td3(mrz(sex=sex))
    assert line2[20] == code


@pytest.mark.parametrize(
    ("surname", "given_names", "names"),
    [
        ("Müller-Lüdenscheidt", "Zoë Ångström", "MULLER<LUDENSCHEIDT<<ZOE<ANGSTROM"),
        ("O'Brien", "Seán", "OBRIEN<<SEAN"),
        ("Straße", "Bjørn Æsir", "STRASSE<<BJOERN<AESIR"),
        ("van der Berg", "  Jan  ", "VAN<DER<BERG<<JAN"),
        ("Wałęsa", "Lech", "WALESA<<LECH"),
        ("Smith", "", "SMITH"),
        (None, "Madonna", "MADONNA"),
    ],
)
def test_names_are_transliterated(surname, given_names, names):
    line1, _line2 = assert_valid_td3(mrz(surname=surname, given_names=given_names))
    assert line1[5:] == names.ljust(39, "<")


def test_long_names_are_truncated_to_the_line():
    line1, _line2 = assert_valid_td3(
        mrz(surname="Wolfeschlegelsteinhausenbergerdorff", given_names="Hubert Blaine Charles")
    )
    assert line1 == "P<UTOWOLFESCHLEGELSTEINHAUSENBERGERDORFF<<HU"


@pytest.mark.parametrize(
    ("state", "code"),
    [("GBR", "GBR"), ("gb", "GBR"), ("FR", "FRA"), ("DE", "D<<"), ("DEU", "D<<"), ("D", "D<<"), ("XK", "RKS")],
)
def test_country_codes_accept_alpha2_and_use_icao_codes(state, code):
    line1, line2 = assert_valid_td3(mrz(issuing_state=state, nationality=state))
    assert line1[2:5] == code
    assert line2[10:13] == code


def test_document_numbers_are_cleaned_padded_and_cut_to_nine():
    _line1, line2 = assert_valid_td3(mrz(document_number="ab-12 34"))
    assert line2[:9] == "AB1234<<<"
    _line1, line2 = assert_valid_td3(mrz(document_number="123456789012"))
    assert line2[:9] == "123456789"
    _line1, line2 = assert_valid_td3(mrz(document_number=987654321))
    assert line2[:9] == "987654321"


def test_generated_rows_all_validate():
    generator = rng(3)
    count = 300
    surnames = ["García Márquez", "Nguyễn", "Øvergård", "D'Angelo", "Smith-Jones", "Łukasiewicz", "李"]
    values = domain.mrz_td3(
        document_number=[f"X{value:08d}" for value in generator.integers(0, 10**8, count)],
        nationality=generator.choice(["NLD", "DE", "GBR", "US"], count).tolist(),
        birth_date=[
            datetime.date(1940, 1, 1) + datetime.timedelta(days=int(days))
            for days in generator.integers(0, 25_000, count)
        ],
        sex=generator.choice(["male", "female", "X", None], count).tolist(),
        expiry_date=[
            f"20{year}-{month:02d}-28"
            for year, month in zip(generator.integers(25, 40, count), generator.integers(1, 13, count), strict=True)
        ],
        surname=generator.choice(surnames, count).tolist(),
        given_names=generator.choice(["Ana Lucía", "Jean-Luc", "Søren", "Ólafur Ragnar"], count).tolist(),
        issuing_state=generator.choice(["NLD", "D", "GBR", "USA"], count).tolist(),
    )
    assert len(values) == count
    for value in values:
        line1, _line2 = assert_valid_td3(value)
        surname_field = line1[5:].split("<<")[0]
        assert all("A" <= char <= "Z" or char == "<" for char in surname_field)


def test_row_count_mismatch_is_rejected():
    with pytest.raises(ValueError, match="one value per row"):
        domain.mrz_td3(
            document_number=["A1", "A2"],
            nationality=["NLD"],
            birth_date=[None, None],
            sex=["M", "F"],
            expiry_date=[None, None],
            surname=["A", "B"],
            given_names=["C", "D"],
            issuing_state=["NLD", "NLD"],
        )


@pytest.mark.parametrize("date", ["12/08/1974", "1974-13-01", 19740812])
def test_bad_dates_are_rejected(date):
    with pytest.raises(ValueError, match="birth_date"):
        mrz(birth_date=date)


def test_transliteration_drops_every_combining_mark():
    # Cross-check against Unicode's own decomposition for a broad range of accented Latin capitals.
    accented = "".join(chr(code) for code in range(0xC0, 0x17F) if unicodedata.decomposition(chr(code)))
    line1, _line2 = assert_valid_td3(mrz(surname=accented[:30], given_names=accented[30:60]))
    assert re.fullmatch(r"P<UTO[A-Z<]+", line1)
