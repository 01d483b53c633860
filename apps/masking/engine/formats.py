"""`format_preserving`: letters stay letters (in their case), digits stay digits, everything else in place;
check digits recomputed for cards (Luhn), IBANs (mod 97, and the national checks of BE, ES, FI, FR, MC, PT),
VINs (position 9), Dutch BSNs (the 11-test) and the national ids of `national_ids` (SE, FI, FR, ES, IT, DE).
Integers: a keyed permutation of the integers with the same
number of digits, so a masked integer key stays unique and every foreign key still finds it.

Work is on ``(rows, characters)`` matrices of code points; the check-digit helpers are the generation
engine's (`apps.generation.engine.domain`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from apps.generation.engine import domain

from . import keyed, limits, national_ids

_ZERO, _NINE = ord("0"), ord("9")
_VIN_LETTERS = np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8).astype(np.uint32)


def _matrix(values: Sequence[str]) -> tuple[np.ndarray, int]:
    array = np.array(values, dtype=str)
    width = max(array.dtype.itemsize // 4, 1)
    array = array.astype(f"<U{width}")
    return array.view(np.uint32).reshape(len(values), width).copy(), width


def _strings(codes: np.ndarray) -> list[str]:
    width = codes.shape[1]
    return np.ascontiguousarray(codes).view(f"<U{width}").ravel().tolist()


def _substitute(codes: np.ndarray, keystream: np.ndarray, *, letters: np.ndarray | None = None) -> np.ndarray:
    """Replace digits by digits and letters by letters, position by position, from the key stream."""
    s = keystream.astype(np.uint32)
    out = codes.copy()
    digit = (codes >= _ZERO) & (codes <= _NINE)
    upper = (codes >= 65) & (codes <= 90)
    lower = (codes >= 97) & (codes <= 122)
    # Any other letter (accented, non-Latin) becomes a lower-case ASCII letter: nothing of it is kept.
    other = (codes >= 0xC0) & (codes != 0xD7) & (codes != 0xF7)
    out[digit] = _ZERO + s[digit] % 10
    if letters is None:
        out[upper] = 65 + s[upper] % 26
    else:
        out[upper] = letters[s[upper] % len(letters)]
    out[lower] = 97 + s[lower] % 26
    out[other] = 97 + s[other] % 26
    return out


def mask_strings(values: Sequence[str], key: bytes, fmt: str = "plain", keep_prefix: int = 0) -> list[str]:
    """Format-preserving masks of `values` (no None) under the function key `key`."""
    if not values:
        return []
    codes, width = _matrix(values)
    if fmt == "iban":
        codes = np.where((codes >= 97) & (codes <= 122), codes - 32, codes)
    keystream = keyed.stream(key, values, width)
    out = _substitute(codes, keystream, letters=_VIN_LETTERS if fmt == "vin" else None)
    keep = min(keep_prefix, width)
    if fmt == "card":
        keep = max(keep, 1)  # the major industry digit: a card stays a card of the same kind
    if fmt == "vin":
        keep = max(keep, 3)  # the manufacturer (WMI) is not personal and keeps the VIN decodable
    if fmt == "iban":
        keep = max(keep, 2)  # the country
    if keep:
        out[:, :keep] = codes[:, :keep]
    if fmt == "vin":
        out[:, 9] = codes[:, 9] if width > 9 else out[:, 9]  # the model year
    fix = _CHECKS.get(fmt)
    if fix is not None:
        fix(out)
    national = national_ids.FIXES.get(fmt)
    if national is not None:
        return [national(masked, original) for masked, original in zip(_strings(out), values, strict=True)]
    return _strings(out)


_LAYOUT_WEIGHTS = np.random.default_rng(20251128).integers(1, 2**63, 4096, dtype=np.uint64)


def _groups(mask: np.ndarray):
    """Rows grouped by where their significant characters are: (row indices, column indices) per layout.

    Layouts are told apart by a fixed random 64-bit weighting of their positions (one sort of integers, not
    of rows); each group's layout is then checked exactly, so a weighting collision only splits work."""
    rows, width = mask.shape
    if rows == 0:
        return
    weights = np.resize(_LAYOUT_WEIGHTS, width)
    with np.errstate(over="ignore"):
        keys = (mask.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    for index, row in enumerate(first):
        members = np.flatnonzero(inverse.ravel() == index)
        layout = mask[row]
        same = (mask[members] == layout).all(axis=1)
        if not same.all():
            yield from _exact_groups(mask, members)
            continue
        yield members, np.flatnonzero(layout)


def _exact_groups(mask: np.ndarray, members: np.ndarray):
    layouts, inverse = np.unique(mask[members], axis=0, return_inverse=True)
    for index, layout in enumerate(layouts):
        yield members[inverse.ravel() == index], np.flatnonzero(layout)


def _fix_card(out: np.ndarray) -> None:
    digit = (out >= _ZERO) & (out <= _NINE)
    for rows, cols in _groups(digit):
        if cols.size < 2:
            continue
        payload = out[np.ix_(rows, cols[:-1])].astype(np.int64) - _ZERO
        out[rows, cols[-1]] = _ZERO + domain.luhn_check_digits(payload).astype(np.uint32)


def _fix_iban(out: np.ndarray) -> None:
    alnum = ((out >= _ZERO) & (out <= _NINE)) | ((out >= 65) & (out <= 90))
    for rows, cols in _groups(alnum):
        if cols.size < 5:
            continue
        compact = out[np.ix_(rows, cols)].astype(np.uint8)
        countries = compact[:, :2].copy().view("S2").ravel()
        for country in np.unique(countries):
            members = np.flatnonzero(countries == country)
            part = compact[members]
            bban = np.ascontiguousarray(part[:, 4:])
            check = domain.IBAN_NATIONAL_CHECKS.get(country.decode("ascii", "replace"))
            expected = domain.IBAN_BBAN_CLASSES.get(country.decode("ascii", "replace"), "")
            if check is not None and bban.shape[1] == len(expected):
                check(bban)
            suffix = np.hstack([part[:, :2], np.full((len(members), 2), _ZERO, dtype=np.uint8)])
            remainder = domain.mod97(np.hstack([bban, suffix]))
            part[:, 2:4] = domain.digit_codes(98 - remainder, 2)
            part[:, 4:] = bban
            compact[members] = part
        out[np.ix_(rows, cols)] = compact.astype(np.uint32)


def _fix_vin(out: np.ndarray) -> None:
    alnum = ((out >= _ZERO) & (out <= _NINE)) | ((out >= 65) & (out <= 90))
    for rows, cols in _groups(alnum):
        if cols.size != 17:
            continue
        vin = out[np.ix_(rows, cols)].astype(np.uint8)
        remainder = (domain.VIN_VALUES[vin] @ domain.VIN_WEIGHTS) % 11
        vin[:, 8] = np.where(remainder == 10, ord("X"), _ZERO + remainder)
        out[np.ix_(rows, cols)] = vin.astype(np.uint32)


_BSN_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def _fix_bsn(out: np.ndarray) -> None:
    """The Dutch 11-test: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11. When no last digit fits (the
    sum leaves 10), the eighth digit steps up until one does: deterministic, so equal inputs still agree."""
    digit = (out >= _ZERO) & (out <= _NINE)
    for rows, cols in _groups(digit):
        if cols.size != 9:
            continue
        digits = out[np.ix_(rows, cols)].astype(np.int64) - _ZERO
        for _ in range(11):
            remainder = (digits[:, :8] @ _BSN_WEIGHTS) % 11
            bad = remainder == 10
            if not bad.any():
                break
            digits[bad, 7] = (digits[bad, 7] + 1) % 10
        digits[:, 8] = (digits[:, :8] @ _BSN_WEIGHTS) % 11
        out[np.ix_(rows, cols)] = (digits + _ZERO).astype(np.uint32)


_CHECKS = {"card": _fix_card, "iban": _fix_iban, "vin": _fix_vin, "nl_bsn": _fix_bsn}


# ------------------------------------------------------------------------------------ integers

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective 64-bit mixer."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _feistel(x: np.ndarray, round_keys: np.ndarray, half_bits: int) -> np.ndarray:
    mask = np.uint64((1 << half_bits) - 1)
    shift = np.uint64(half_bits)
    left, right = x >> shift, x & mask
    for round_key in round_keys:
        left, right = right, left ^ (_mix(right ^ round_key) & mask)
    return (left << shift) | right


def permute_integers(values: np.ndarray, key: bytes) -> np.ndarray:
    """A keyed bijection of int64 values onto values with the same sign and number of digits.

    Each digit count d is its own domain (0..9, then 10..99, ...); within it a balanced Feistel network
    over the smallest even number of bits that covers the domain, with cycle walking back into it. Round
    keys come from HMAC-SHA256 of the function key. Values of more than 18 digits are refused."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values).astype(np.uint64)
    if np.any(magnitude >= np.uint64(10 ** limits.MAX_INTEGER_DIGITS)):
        raise ValueError(f"format_preserving masks integers of at most {limits.MAX_INTEGER_DIGITS} digits")
    digits = np.ones(values.shape, dtype=np.int64)
    for d in range(1, limits.MAX_INTEGER_DIGITS):
        digits += magnitude >= np.uint64(10 ** d)
    out = magnitude.copy()
    round_keys = np.frombuffer(keyed.sub_key(key, "feistel") + keyed.sub_key(key, "feistel2"),
                               dtype=">u8").astype(np.uint64)
    for d in np.unique(digits):
        rows = np.flatnonzero(digits == d)
        low = 0 if d == 1 else 10 ** (int(d) - 1)
        size = 10 ** int(d) - low
        bits = max(2, int(size - 1).bit_length())
        bits += bits % 2
        x = magnitude[rows] - np.uint64(low)
        x = _feistel(x, round_keys, bits // 2)
        outside = x >= np.uint64(size)
        while outside.any():
            x[outside] = _feistel(x[outside], round_keys, bits // 2)
            outside = x >= np.uint64(size)
        out[rows] = x + np.uint64(low)
    signed = out.astype(np.int64)
    return np.where(values < 0, -signed, signed)
