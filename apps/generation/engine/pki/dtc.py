"""The ICAO Digital Travel Credential virtual component (DTC-VC): the DTC's data groups and its security object.

The value is a DTCContentInfo in the shape of the ICAO technical report "DTC - Virtual Component Data Structure
and PKI Mechanisms" (v1.2):

    DTCContentInfo ::= SEQUENCE {
        version        INTEGER (1),
        dtcData        SEQUENCE { dtcDG1 [1] IMPLICIT OCTET STRING, dtcDG2 [2] IMPLICIT OCTET STRING },
        dtcSignerInfo  [1] EXPLICIT ContentInfo }  -- the DTC security object

The DTC security object is a CMS SignedData of an LDSSecurityObject hashing the DTC's DG1 and DG2 (the form of an
eMRTD's SOD), signed by the DTC signer. The optional parts of the report's structure (the eMRTD's own SOD, dtcTBS
values, DTC validity) are not produced.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from . import der, lds

VERSION = 1


def dtc(dg1: bytes, hashed_dg1: bytes, dg2: bytes, signer: x509.Certificate, key, signing_time: datetime | None
        ) -> bytes:
    """A DTC carrying `dg1` and `dg2`, its security object hashing `hashed_dg1` (the same bytes unless a
    scenario tampers with it) and `dg2`."""
    security_object = lds.sod(hashed_dg1, dg2, signer, key, signing_time)
    data = der.sequence(der.tlv(0x81, dg1), der.tlv(0x82, dg2))
    return der.sequence(der.integer(VERSION), data, der.explicit(1, security_object))
