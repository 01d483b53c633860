"""The bridge between API input and the engine: parse a submitted spec or template, map engine problems."""

from collections.abc import Mapping

from apps.core.errors import ServiceValidationError
from apps.generation.engine import SpecError, parse_spec
from apps.generation.engine.builtin_templates import UnknownTemplate, template_source
from apps.generation.engine.errors import GenerationError
from apps.generation.engine.spec import load_document


def spec_mapping(source) -> dict:
    """The stored form of a submitted document: a mapping. Text is read by the engine's own loader, so the
    stored mapping means exactly what the text did (e.g. `NO` stays the string "NO", not false)."""
    try:
        loaded = load_document(source)
    except SpecError as exc:
        raise ServiceValidationError(problems_of(exc)) from exc
    if not isinstance(loaded, Mapping):
        raise ServiceValidationError([("spec", "must be a mapping (an object), or YAML/JSON text of one")])
    return dict(loaded)


def problems_of(exc: SpecError, prefix: str = "spec") -> list[tuple[str, str]]:
    return [(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in exc.problems]


def generation_problems(exc: GenerationError, prefix: str = "spec") -> list[tuple[str, str]]:
    """A row the engine could not generate (its message starts with the column's path) as a problem."""
    path, _, message = str(exc).partition(": ")
    return [(f"{prefix}.{path}", message)] if message else [(prefix, str(exc))]


def parse_or_400(document, *, max_rows: int | None = None, prefix: str = "spec"):
    try:
        return parse_spec(document, max_rows=max_rows)
    except SpecError as exc:
        raise ServiceValidationError(problems_of(exc, prefix)) from exc


def template_document(name: str) -> dict:
    try:
        return spec_mapping(template_source(name))
    except UnknownTemplate as exc:
        raise ServiceValidationError([("template", str(exc))]) from exc


def resolve_spec_input(*, spec=None, template: str | None = None) -> tuple[dict, str]:
    """Exactly one of spec/template: returns (document mapping, template name or "")."""
    if spec is not None and template:
        raise ServiceValidationError([("template", "Give either a spec or a template, not both.")])
    if template:
        return template_document(template), template
    if spec is None:
        raise ServiceValidationError([("spec", "Give a spec, or the name of a built-in template.")])
    return spec_mapping(spec), ""
