"""The Faker providers answered in bulk (when the locale's implementation allows it)."""

from __future__ import annotations

# Providers answered in bulk (when the locale's implementation allows it).
BULK_PROVIDERS = frozenset(
    {
        # person
        "first_name", "last_name", "name", "first_name_male", "first_name_female", "first_name_nonbinary",
        "last_name_male", "last_name_female", "last_name_nonbinary", "name_male", "name_female",
        "name_nonbinary", "prefix", "prefix_male", "prefix_female", "prefix_nonbinary", "suffix",
        "suffix_male", "suffix_female", "suffix_nonbinary", "language_name",
        # internet
        "email", "safe_email", "free_email", "company_email", "user_name", "domain_name", "domain_word",
        "free_email_domain", "safe_domain_name", "tld", "hostname",
        # phone_number
        "phone_number", "msisdn", "country_calling_code", "cellphone_number", "landline_number",
        # address
        "street_address", "street_name", "street_suffix", "building_number", "secondary_address",
        "address", "city", "city_prefix", "city_suffix", "postcode", "zipcode", "postalcode",
        "state", "state_abbr", "administrative_unit", "country", "country_code",
        "military_ship", "military_state", "military_apo", "military_dpo",
        # company, job, lorem, color, misc data lists
        "company", "company_suffix", "catch_phrase", "bs", "job", "word", "color_name", "safe_color_name",
        "currency_code", "currency_name", "license_plate",
    }
)  # fmt: skip
