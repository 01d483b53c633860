"""Deterministic RSA document keys from a bounded pool (RSASSA-PSS signers: CSCA, DS and the objects they sign).

Deriving an RSA key means finding two primes, far too slow to do per certificate row. Keys come from a pool
instead: key `index` of a (secret, seed, bits) pool is generated once per process from a deterministic
bit stream (BLAKE2b keyed with the document secret, in counter mode) and cached; a certificate row picks its
index from (table, column, row, purpose). The same inputs give the same key in any process, and two tenants
(different secrets) never share one. With more RSA rows than POOL_SIZE, two certificates may share a key:
each is still signed and verifiable, only not unique to its row (docs/schema-language.md).

Primes follow FIPS 186-5 A.1.3 in outline: odd candidates of half the modulus size with the top two bits set
(so n has exactly `bits` bits), trial division by the small primes, then Miller-Rabin with bases from the same
stream, and gcd(p - 1, e) = 1.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import rsa

POOL_SIZE = 16
SIZES = (2048, 3072)
PUBLIC_EXPONENT = 65537
MILLER_RABIN_ROUNDS = 8
_SEP = b"\x1f"


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for p in range(2, int(limit**0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytes(len(range(p * p, limit, p)))
    return [p for p in range(3, limit) if sieve[p]]


_SMALL_PRIMES = _small_primes(1 << 14)
_SMALL_PRODUCT = 1
for _p in _SMALL_PRIMES:
    _SMALL_PRODUCT *= _p


class _Stream:
    """An unbounded deterministic byte stream: BLAKE2b(secret; material || counter) blocks."""

    def __init__(self, secret: bytes, material: bytes):
        self._secret = secret[:64]
        self._material = material
        self._counter = 0

    def take(self, size: int) -> bytes:
        out = b""
        while len(out) < size:
            out += hashlib.blake2b(self._material + _SEP + str(self._counter).encode(), key=self._secret,
                                   digest_size=64).digest()
            self._counter += 1
        return out[:size]

    def integer(self, bits: int) -> int:
        return int.from_bytes(self.take((bits + 7) // 8), "big") >> (-bits % 8)


def _probably_prime(n: int, stream: _Stream) -> bool:
    if math.gcd(n, _SMALL_PRODUCT) != 1:  # candidates are far larger than the small primes
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(MILLER_RABIN_ROUNDS):
        a = 2 + stream.integer(n.bit_length()) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, stream: _Stream) -> int:
    while True:
        candidate = stream.integer(bits) | (3 << (bits - 2)) | 1
        if _probably_prime(candidate, stream) and (candidate - 1) % PUBLIC_EXPONENT != 0:
            return candidate


@lru_cache(maxsize=4 * POOL_SIZE)
def pool_key(bits: int, secret: bytes, seed: int, index: int) -> rsa.RSAPrivateKey:
    """Key `index` (0 <= index < POOL_SIZE) of the pool of `bits`-bit keys of (secret, seed)."""
    if bits not in SIZES:
        raise ValueError(f"RSA keys are {' or '.join(map(str, SIZES))} bits")
    stream = _Stream(secret, _SEP.join(str(p).encode() for p in ("synthhub-rsa-pool", bits, seed, index)))
    while True:
        p, q = _prime(bits // 2, stream), _prime(bits // 2, stream)
        n = p * q
        # Primes this close would make n easy to factor (FIPS 186-5 A.1.3 step 5.5); never in practice.
        if n.bit_length() == bits and abs(p - q) > 1 << (bits // 2 - 100):
            break
    if p < q:
        p, q = q, p
    d = pow(PUBLIC_EXPONENT, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(p=p, q=q, d=d, dmp1=d % (p - 1), dmq1=d % (q - 1), iqmp=pow(q, -1, p),
                                    public_numbers=rsa.RSAPublicNumbers(PUBLIC_EXPONENT, n))
    return numbers.private_key()


def _index(secret: bytes, material: str) -> int:
    return int.from_bytes(hashlib.blake2b(material.encode(), key=secret[:64], digest_size=8).digest(), "big")


def pool_index(secret: bytes, seed: int, table: str, column: str, row: int, purpose: str = "") -> int:
    """The pool slot of a certificate row; a scenario's extra key (`purpose`) never takes the row's own slot."""
    own = _index(secret, f"synthhub-rsa-slot\x1f{seed}\x1f{table}\x1f{column}\x1f{row}") % POOL_SIZE
    if not purpose:
        return own
    step = 1 + _index(secret, f"synthhub-rsa-slot\x1f{seed}\x1f{table}\x1f{column}\x1f{row}\x1f{purpose}") \
        % (POOL_SIZE - 1)
    return (own + step) % POOL_SIZE


def private_key(bits: int, secret: bytes, seed: int, table: str, column: str, row: int,
                purpose: str = "") -> rsa.RSAPrivateKey:
    return pool_key(bits, secret, seed, pool_index(secret, seed, table, column, row, purpose))
