"""Every route of the URL conf, found by walking `get_resolver()` through its includes, and the URL of each
once its path variables are filled in."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

# `<slug:tenant>` in a route, `(?P<pk>[^/.]+)` in a regex.
_ROUTE_VARIABLE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class UrlRoute:
    key: str  # the declaration key: "namespace:name", or the path template for an unnamed route
    template: str  # "api/v1/tenants/{tenant}/datasets/{pk}/"
    variables: tuple[str, ...]
    callback: object

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def drf_actions(self) -> dict | None:
        """Method -> action of a DRF viewset route; None for other views."""
        return getattr(self.callback, "actions", None)

    def url(self, values: dict) -> str:
        return "/" + self.template.format(**{name: values[name] for name in self.variables})


def _template(parts: list) -> str:
    text = ""
    for pattern in parts:
        if isinstance(pattern, RoutePattern):
            text += _ROUTE_VARIABLE.sub(lambda m: "{" + m.group("name") + "}", str(pattern))
        elif isinstance(pattern, RegexPattern):
            text += _REGEX_GROUP.sub(lambda m: "{" + m.group("name") + "}", str(pattern)).lstrip("^").rstrip("$")
        else:  # pragma: no cover - Django has no third kind
            raise TypeError(f"unknown pattern kind {type(pattern).__name__}")
    return text


def _walk(resolver: URLResolver, parents: list, namespace: str):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (
                entry.namespace or namespace)
            yield from _walk(entry, [*parents, entry.pattern], inner or "")
        elif isinstance(entry, URLPattern):
            yield [*parents, entry.pattern], namespace, entry


def url_routes() -> list[UrlRoute]:
    """Every route, in URL-conf order. Unnamed routes (and names that repeat) are keyed by their template."""
    found = []
    for parts, namespace, pattern in _walk(get_resolver(), [], ""):
        template = _template(parts)
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        variables = tuple(re.findall(r"{(\w+)}", template))
        found.append((name, template, variables, pattern.callback))
    names = [name for name, *_ in found if name]
    routes = []
    for name, template, variables, callback in found:
        key = name if name and names.count(name) == 1 else template
        routes.append(UrlRoute(key=key, template=template, variables=variables, callback=callback))
    keys = [route.key for route in routes]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise AssertionError(f"routes that cannot be told apart: {duplicates}")
    return routes
