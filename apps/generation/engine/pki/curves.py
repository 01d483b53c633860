"""The ICAO 9303-12 curves a document key may use, with their group orders and signature hashes."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class Curve:
    name: str
    curve: type[ec.EllipticCurve]
    order: int
    hash: type[hashes.HashAlgorithm]
    # The CMS digest algorithm OID of `hash` (SOD, master list).
    digest_oid: str


_SHA256, _SHA384, _SHA512 = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"

CURVES: dict[str, Curve] = {c.name: c for c in (
    Curve("P-256", ec.SECP256R1, 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
          hashes.SHA256, _SHA256),
    Curve("P-384", ec.SECP384R1, int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16),
        hashes.SHA384, _SHA384),
    Curve("P-521", ec.SECP521R1, int(
        "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b"
        "8899c47aebb6fb71e91386409", 16), hashes.SHA512, _SHA512),
    Curve("brainpoolP256r1", ec.BrainpoolP256R1,
          0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7, hashes.SHA256, _SHA256),
    Curve("brainpoolP384r1", ec.BrainpoolP384R1, int(
        "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565", 16),
        hashes.SHA384, _SHA384),
    Curve("brainpoolP512r1", ec.BrainpoolP512R1, int(
        "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381"
        "085ddaddb58796829ca90069", 16), hashes.SHA512, _SHA512),
)}

# ecdsa-with-SHA256/384/512: the CMS signature algorithm of a curve's hash.
ECDSA_OIDS = {hashes.SHA256: "1.2.840.10045.4.3.2", hashes.SHA384: "1.2.840.10045.4.3.3",
              hashes.SHA512: "1.2.840.10045.4.3.4"}


def curve_of_key(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> Curve:
    name = key.curve.name
    for curve in CURVES.values():
        if curve.curve.name == name:
            return curve
    raise ValueError(f"unsupported curve {name}")
