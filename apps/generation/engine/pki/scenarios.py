"""Negative scenarios of signed documents: the labels a scenario column may hold and what each one breaks."""

from __future__ import annotations

VALID = "valid"
EXPIRED_DS = "expired_ds"  # signed by a DS certificate (issued by the real CSCA) that expired before signing
NOT_YET_VALID_DS = "not_yet_valid_ds"  # signed by a DS certificate whose validity starts after the signing
REVOKED_DS = "revoked_ds"  # signed by a DS whose serial is on its CSCA's CRL (the data arranges it)
WRONG_SIGNER = "wrong_signer"  # the SOD names the DS but another key signed it
BROKEN_CHAIN = "broken_chain"  # the DS certificate was issued by a CSCA no trust list knows
TAMPERED_DG1 = "tampered_dg1"  # the SOD's DG1 hash is not the hash of the document's MRZ
BAD_MRZ_CHECK_DIGIT = "bad_mrz_check_digit"  # the MRZ's document-number check digit is wrong (SOD consistent)

LABELS = (VALID, EXPIRED_DS, NOT_YET_VALID_DS, REVOKED_DS, WRONG_SIGNER, BROKEN_CHAIN, TAMPERED_DG1,
          BAD_MRZ_CHECK_DIGIT)
