"""Column type `dtc`: an ICAO Digital Travel Credential virtual component (base64 DER, pki/dtc.py).

It carries DG1 (the MRZ of the `dg1` column) and DG2 (the deterministic synthetic portrait bytes of the sod type)
and a DTC security object over their hashes, signed by the DTC signer (`signer`: a certificate of the DS profile,
see docs/documents.md). A `scenario` column labels rows with the sod type's negative scenarios, broken the same
way.
"""

from __future__ import annotations

from ..column_types import join
from ..pki import dtc
from . import _documents as docs
from .base import ColumnType
from .sod import normalise, reads, sign_rows


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "dtc", path, ctx)
    docs.check_signer(doc, table_name, spec.get("signer"), join(path, "signer"), ctx, roles=("ds",))


def sample(spec, env):
    return sign_rows(spec, env, dtc.dtc)


ENTRY = ColumnType(
    name="dtc",
    keys=("signer", "dg1", "signed_at", "scenario"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=5200,  # base64 of DG1, 512 bytes of DG2 and the security object with a P-521 signer: about 3,400
    quoted=True,
    row_bound=True,
    structural_keys=("signer",),
    export_kind="string",
    no_unique="dtc values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
