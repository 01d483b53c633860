"""The per-signer frames of the SOD and mdoc encoders give exactly the bytes the generic DER and CBOR encoders
give for the same document (deterministic signatures make the whole documents comparable)."""

import hashlib
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from apps.generation.engine.pki import cms, der, keys, lds, mdoc
from apps.generation.engine.pki.cbor import Raw, Tag, dumps, embedded
from apps.generation.engine.pki.certificates import Subject, build
from apps.generation.engine.pki.curves import CURVES

WHEN = datetime(2021, 3, 4, tzinfo=UTC)


def _signer(curve: str):
    key = keys.private_key(curve, b"secret", 1, "signers", "certificate", 0)
    name = Subject("DE", "Document Signer 1", "Bundesdruckerei").name()
    return build("ds", name, key.public_key(), 77, datetime(2020, 1, 1, tzinfo=UTC),
                 datetime(2030, 1, 1, tzinfo=UTC), name, key), key


def _generic_signed_data(content_type, content, signer, key, hash_type, signing_time):
    """RFC 5652 SignedData built element by element with der.py."""
    digest = hashlib.new(hash_type.name, content).digest()
    attributes = [der.sequence(der.oid(cms.ID_CONTENT_TYPE), der.set_of(der.oid(content_type))),
                  der.sequence(der.oid(cms.ID_MESSAGE_DIGEST), der.set_of(der.octets(digest)))]
    if signing_time is not None:
        attributes.append(der.sequence(der.oid(cms.ID_SIGNING_TIME), der.set_of(der.utc_time(signing_time))))
    attrs = b"".join(sorted(attributes))
    signature = key.sign(der.tlv(0x31, attrs), ec.ECDSA(hash_type(), deterministic_signing=True))
    digest_alg = der.algorithm(cms._DIGEST_OIDS[hash_type])
    signer_info = der.sequence(der.integer(1), der.sequence(signer.issuer.public_bytes(),
                                                            der.integer(signer.serial_number)),
                               digest_alg, der.tlv(0xA0, attrs), der.algorithm(cms.ECDSA_OIDS[hash_type]),
                               der.octets(signature))
    body = der.sequence(der.integer(3), der.set_of(digest_alg),
                        der.sequence(der.oid(content_type), der.explicit(0, der.octets(content))),
                        der.implicit_constructed(0, cms.certificate_der(signer)), der.tlv(0x31, signer_info))
    return der.sequence(der.oid(cms.ID_SIGNED_DATA), der.explicit(0, body))


@pytest.mark.parametrize("curve", ["P-256", "P-384", "brainpoolP512r1"])
@pytest.mark.parametrize("signing_time", [WHEN, datetime(2051, 1, 2, tzinfo=UTC), None])
def test_sod_frames_give_the_generic_der(curve, signing_time):
    signer, key = _signer(curve)
    mrz = "P<DEUMUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\nC01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"
    dg1, dg2 = lds.dg1(mrz), lds.portrait(1, "passports", 5)
    assert dg1 == der.tlv(0x61, b"\x5f\x1f" + der.length(88) + mrz.replace("\n", "").encode())
    content = lds.security_object({1: hashlib.sha256(dg1).digest(), 2: hashlib.sha256(dg2).digest()})
    expected = _generic_signed_data(lds.ID_LDS_SECURITY_OBJECT, content, signer, key, CURVES[curve].hash,
                                    signing_time)
    assert lds.sod(dg1, dg2, signer, key, signing_time) == expected
    # A content of another size (a master list) takes its own frame.
    longer = der.sequence(der.integer(0), der.set_of(cms.certificate_der(signer)))
    assert cms.signed_data("2.23.136.1.1.2", longer, signer, key, CURVES[curve].hash) == \
        _generic_signed_data("2.23.136.1.1.2", longer, signer, key, CURVES[curve].hash, None)


def _generic_mdoc(items, salts, signer, key, device_key, signed, valid_from, valid_until):
    """ISO 18013-5 IssuerSigned through the generic deterministic CBOR encoder."""
    tagged, digests = [], {}
    for digest_id, ((name, value), salt) in enumerate(zip(items, salts, strict=True)):
        item = dumps({"digestID": digest_id, "random": salt, "elementIdentifier": name,
                      "elementValue": mdoc.element_value(value)})
        encoded = dumps(Tag(24, item))
        tagged.append(Raw(encoded))
        digests[digest_id] = hashlib.sha256(encoded).digest()
    mso = {"version": "1.0", "digestAlgorithm": "SHA-256", "valueDigests": {mdoc.MDL_NAMESPACE: digests},
           "deviceKeyInfo": device_key, "docType": mdoc.MDL_DOCTYPE,
           "validityInfo": {"signed": mdoc.tdate(signed), "validFrom": mdoc.tdate(valid_from),
                            "validUntil": mdoc.tdate(valid_until)}}
    payload = dumps(embedded(mso))
    hash_type = CURVES["P-256"].hash if key.curve.name == "secp256r1" else CURVES["P-384"].hash
    protected = dumps({1: -7 if key.curve.name == "secp256r1" else -35})
    r, s = decode_dss_signature(key.sign(dumps(["Signature1", protected, b"", payload]),
                                         ec.ECDSA(hash_type(), deterministic_signing=True)))
    size = (key.curve.key_size + 7) // 8
    cose = [protected, Raw(dumps({33: cms.certificate_der(signer)})), payload,
            r.to_bytes(size, "big") + s.to_bytes(size, "big")]
    return dumps({"docType": mdoc.MDL_DOCTYPE, "issuerSigned": {"nameSpaces": {mdoc.MDL_NAMESPACE: tagged},
                                                                 "issuerAuth": cose}})


@pytest.mark.parametrize("curve", ["P-256", "P-384"])
@pytest.mark.parametrize("count", [1, 7, 30])
def test_mdoc_frames_give_the_generic_cbor(curve, count):
    signer, key = _signer(curve)
    device = mdoc.device_key_info(keys.private_key(curve, b"secret", 1, "t", "device", 3).public_key())
    values = ["Müller", "", "x" * 300, date(1990, 1, 2), datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC), True, False,
              -5, 70000, None, ["B", "C1"], "家族"]
    items = [(f"element_{n}", values[n % len(values)]) for n in range(count)]
    salts = [hashlib.sha256(bytes([n])).digest()[:16] for n in range(count)]
    until = datetime(2031, 1, 1, tzinfo=UTC)
    expected = _generic_mdoc(items, salts, signer, key, device, WHEN, WHEN, until)
    assert mdoc.issuer_signed(items, salts, signer, key, device, WHEN, WHEN, until) == expected
    later = datetime(2021, 3, 5, tzinfo=UTC)  # validFrom after signed
    assert mdoc.issuer_signed(items, salts, signer, key, device, WHEN, later, until) == \
        _generic_mdoc(items, salts, signer, key, device, WHEN, later, until)
