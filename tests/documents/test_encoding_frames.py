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



_DATE_ITEMS = {"birth_date", "issue_date", "expiry_date"}


def _generated_licences(null_given_names: float):
    from .example import SECRET, example, make_plan, table_rows

    doc = example(passports=5)
    doc["tables"]["driving_licences"]["rows"] = 60
    doc["tables"]["driving_licences"]["columns"]["given_name"]["null_ratio"] = null_given_names
    doc["tables"]["signers"]["columns"]["certificate"]["curve"] = "P-256"
    the_plan = make_plan(doc)
    return doc, {table: table_rows(the_plan, table) for table in ("driving_licences", "signers", "cscas")}, SECRET


def test_generated_mdls_take_their_salts_from_one_keyed_shake_per_row_and_renumber_around_a_null_item():
    """A row's item salts are the 16-byte pieces of one SHAKE-256 output keyed by the document secret; a row
    whose given_name is null has six items numbered 0-5; every document is the generic encoder's bytes and
    verifies with the independent reader."""
    import base64

    from cryptography import x509

    from apps.documents import cbor as reader
    from apps.documents.verify import verify_mdoc

    doc, rows, secret = _generated_licences(0.3)
    seed = doc["seed"]
    item_columns = doc["tables"]["driving_licences"]["columns"]["mdl"]["items"]
    anchors = [x509.load_der_x509_certificate(base64.b64decode(row["certificate"])) for row in rows["cscas"]]
    signer_rows = {row["id"]: n for n, row in enumerate(rows["signers"])}
    counts, salts_seen = set(), set()
    for row_number, row in enumerate(rows["driving_licences"]):
        data = base64.b64decode(row["mdl"])
        assert verify_mdoc(data, anchors) is None
        document = reader.loads(data)
        items = [reader.loads(tagged.value) for tagged in
                 document["issuerSigned"]["nameSpaces"][mdoc.MDL_NAMESPACE]]
        present = [name for name, column in item_columns.items() if row[column] is not None]
        assert [item["elementIdentifier"] for item in items] == present
        assert [item["digestID"] for item in items] == list(range(len(present)))
        state = hashlib.shake_256(len(secret).to_bytes(8, "big") + secret
                                  + f"mdoc-salts\x1f{seed}\x1fdriving_licences\x1f{row_number}".encode())
        blob = state.digest(16 * len(items))
        assert [item["random"] for item in items] == [blob[16 * k:16 * (k + 1)] for k in range(len(items))]
        salts_seen.update(item["random"] for item in items)
        counts.add(len(items))
        # The same document through the generic encoder, with the row's signer key and device key.
        parent = signer_rows[row["issuer"]]
        signer = x509.load_der_x509_certificate(base64.b64decode(rows["signers"][parent]["certificate"]))
        signer_key = keys.private_key("P-256", secret, seed, "signers", "certificate", parent)
        device = mdoc.device_key_info(keys.private_key("P-256", secret, seed, "driving_licences", "mdl",
                                                       row_number % 256, "device").public_key())
        signed = datetime.combine(date.fromisoformat(row["issue_date"]), datetime.min.time(), UTC)
        until = datetime.combine(date.fromisoformat(row["expiry_date"]), datetime.min.time(), UTC)
        values = [(name, row[item_columns[name]]) for name in present]
        values = [(name, date.fromisoformat(value) if name in _DATE_ITEMS else value) for name, value in values]
        assert _generic_mdoc(values, [item["random"] for item in items], signer, signer_key, device,
                             signed, signed, until) == data
    assert counts == {6, 7}
    # Every salt of every item of every document differs.
    assert len(salts_seen) == sum(len(reader.loads(base64.b64decode(row["mdl"]))["issuerSigned"]["nameSpaces"]
                                      [mdoc.MDL_NAMESPACE]) for row in rows["driving_licences"])
