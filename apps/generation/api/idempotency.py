"""The Idempotency-Key header on the API: a retried request gets the first answer (apps.generation.idempotency)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..idempotency import HEADER, idempotency_claim, idempotency_key_clean, idempotency_store

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string of 1-255 printable ASCII characters (a UUID). A retry with the same key and "
                "the same request within 24 hours gets the first answer, with `Idempotent-Replayed: true`, and "
                "creates nothing; the same key with a different request is a 422.",
)
IDEMPOTENCY_RESPONSES = {422: OpenApiResponse(
    description="The Idempotency-Key was used before, by this user on this route, with a different request.")}


def _fingerprint(request) -> str:
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def respond_idempotently(request, *, tenant, route: str, respond: Callable[[], Response]) -> Response:
    """`respond()`, or the first answer when the request carries a key that was used before."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return respond()
    key = idempotency_key_clean(raw)
    with transaction.atomic():
        record, replay = idempotency_claim(tenant=tenant, user=request.user, route=route, key=key,
                                           fingerprint=_fingerprint(request))
        if replay:
            return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        response = respond()
        idempotency_store(record=record, status_code=response.status_code,
                          body=orjson.loads(JSONRenderer().render(response.data)))
    return response
