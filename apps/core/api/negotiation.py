"""Content negotiation for routes that answer with a file instead of a rendered body."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FileDownloadNegotiation(DefaultContentNegotiation):
    """A download answers with the file as it was made, whatever the client's Accept header names: Swagger UI
    sends the media types the schema declares for the response, browsers and scripts send the file's type or
    `application/octet-stream`, and none of those is a renderer's. Refusing them (406) refused the file. When
    no renderer matches, the first one (JSON) still renders an error body (404, 410)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
