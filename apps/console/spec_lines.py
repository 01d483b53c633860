"""The line of a YAML/JSON spec text that a problem's dotted path points at, so the editor can say where."""

import yaml

from apps.generation.engine.limits import MAX_DOCUMENT_CHARS


def line_of(text: str, path: str) -> int | None:
    """1-based line of the node at `path` ("tables.customers.columns.age.min"), or of its nearest existing
    parent; None when the text cannot be read as YAML (JSON is YAML) or is over the engine's size limit."""
    if not text or len(text) > MAX_DOCUMENT_CHARS:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return mark.line + 1 if mark is not None else None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in filter(None, path.split(".")):
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    child, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            child = node.value[int(part)]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
