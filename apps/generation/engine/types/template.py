"""Column type `template`: text assembled from a template reading other columns of the row."""

from __future__ import annotations

from .. import limits
from ..column_types import (
    join,
    read_bool,
    read_str,
)
from ..generators import (
    template_strings,
)
from ..values import Col, object_array
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    from ..templating import TemplateError, parse_template

    text = read_str(raw, "template", path, ctx, None, required=True)
    if text is not None and len(text) > limits.MAX_TEMPLATE_LENGTH:
        ctx.add(join(path, "template"), f"must have at most {limits.MAX_TEMPLATE_LENGTH:,} characters")
    elif text is not None:
        try:
            parse_template(text)
        except TemplateError as exc:
            ctx.add(join(path, "template"), str(exc))
    lower = read_bool(raw, "lower", path, ctx, False)
    upper = read_bool(raw, "upper", path, ctx, False)
    slug = read_bool(raw, "slug", path, ctx, False)
    if lower and upper:
        ctx.add(path, "lower and upper cannot both be true")
    return {"template": text, "lower": lower, "upper": upper, "slug": slug}


def sample(spec, env):
    return Col("str", object_array(template_strings(spec, env)))


ENTRY = ColumnType(
    name="template",
    keys=("template", "lower", "upper", "slug"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    row_bound=True,
    export_kind="string",
)
