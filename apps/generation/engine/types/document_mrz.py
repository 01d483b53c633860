"""Column type `document_mrz`: a TD3 MRZ column as the document carries it, with the `bad_mrz_check_digit`
scenario applied (the document-number check digit made wrong) on rows whose scenario column says so."""

from __future__ import annotations

from ..pki import scenarios as sc
from . import _documents as docs
from .base import ColumnType

# Line 2 of a TD3 MRZ: document number in 0..8, its check digit at 9.
_CHECK_DIGIT = 44 + 1 + 9  # 44 characters of line 1, the line break, then position 9 of line 2


def normalise(raw, path, ctx, nested):
    return {"mrz": docs.read_column(raw, "mrz", path, ctx, required=True),
            "scenario": docs.read_column(raw, "scenario", path, ctx, required=True)}


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [(key, spec[key]) for key in ("mrz", "scenario") if spec.get(key)]
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "document_mrz", path, ctx)


def broken(mrz: str) -> str:
    if len(mrz) <= _CHECK_DIGIT or not mrz[_CHECK_DIGIT].isdigit():
        return mrz
    digit = str((int(mrz[_CHECK_DIGIT]) + 1) % 10)
    return mrz[:_CHECK_DIGIT] + digit + mrz[_CHECK_DIGIT + 1:]


def sample(spec, env):
    mrz = docs.texts(env.ctx.get(spec["mrz"]))
    labels = docs.texts(env.ctx.get(spec["scenario"]))
    return docs.text_column([None if m is None else broken(m) if label == sc.BAD_MRZ_CHECK_DIGIT else m
                             for m, label in zip(mrz, labels, strict=True)])


ENTRY = ColumnType(
    name="document_mrz",
    keys=("mrz", "scenario"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=90,
    quoted=True,
    row_bound=True,
    export_kind="string",
    no_unique="document_mrz values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
