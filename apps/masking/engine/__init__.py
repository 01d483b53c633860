"""The masking engine: rules documents and keyed, format-preserving masks. No Django import."""

from .keyed import MaskingKeyError
from .masker import MaskingError, MaskingRun, TableMasker
from .rules import ColumnRule, MaskingRules, RulesError, parse_rules

__all__ = [
    "ColumnRule", "MaskingError", "MaskingKeyError", "MaskingRules", "MaskingRun", "RulesError", "TableMasker",
    "parse_rules",
]
