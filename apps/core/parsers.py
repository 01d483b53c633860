"""The API's JSON parser: bounded in size and nesting, and strings PostgreSQL can store.

DRF's JSONParser reads the body through the request stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (checked
only when `request.body` is read) never applied: 50 MB bodies were parsed and stored. The standard library's
parser also recurses, so a body nested 10,000 deep raised RecursionError (a 500). This parser reads at most
SYNTHHUB_MAX_REQUEST_BYTES (a larger body is a 413), parses with orjson (which stops at its own depth limit
instead of recursing), then walks the result iteratively to enforce SYNTHHUB_MAX_JSON_DEPTH and to refuse NUL
characters, which PostgreSQL cannot store in text or JSONB.
"""

import orjson
from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 64


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


def max_request_bytes() -> int:
    return int(getattr(settings, "SYNTHHUB_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def max_json_depth() -> int:
    return int(getattr(settings, "SYNTHHUB_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {limit} bytes.")


def _refuse(parts: tuple, message: str) -> exceptions.ValidationError:
    # DRF's ValidationError, not the services' one: apps.core.errors imports DRF's views, which import the
    # parser classes, so this module cannot import apps.core.errors. Both reach the same error shape.
    return exceptions.ValidationError({".".join(str(part) for part in parts): [message]})


def check_json_value(value, *, max_depth: int) -> None:
    """400 for nesting deeper than `max_depth` or a NUL character in any key or string; iterative, no recursion."""
    stack = [(value, 1, ())]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise _refuse(where, "NUL characters are not allowed")
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > max_depth:
            raise _refuse(where, f"nested deeper than {max_depth} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                if "\x00" in key:
                    raise _refuse(where, "NUL characters are not allowed in keys")
                stack.append((item, depth + 1, (*where, key)))
        else:
            stack.extend((item, depth + 1, (*where, index)) for index, item in enumerate(node))


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return None
        limit = max_request_bytes()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise too_large(limit)
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                raw = raw.decode(encoding).encode("utf-8")
            data = orjson.loads(raw)
        except (orjson.JSONDecodeError, UnicodeError, LookupError, RecursionError) as exc:
            # orjson's message names the position, never echoes the body.
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        check_json_value(data, max_depth=max_json_depth())
        return data
