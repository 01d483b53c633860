"""Serializer bases for request bodies: JSON types are taken as the OpenAPI document states them.

DRF coerces across JSON types on input: `{"name": 0}` is the name "0", `{"seed": "5"}` the integer 5 and
`{"flag": "yes"}` true. The API's contract is its OpenAPI document, so a body that breaks it is a 400 naming
the field, whatever DRF could make of it. Every API serializer derives from these bases (a test checks it).
"""

import inspect
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.manager import BaseManager
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field, SkipField, empty, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

# (field class, JSON types it takes, how the error names them); the first match wins, so subclasses come first.
_JSON_TYPES: tuple[tuple[type, tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DecimalField, (int, float, str), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.DateField, (str,), "a string"),
    (serializers.TimeField, (str,), "a string"),
)


def _expected_type(field) -> tuple[tuple[type, ...], str] | None:
    if isinstance(field, serializers.ChoiceField):
        choices = list(field.choices)
        if choices and all(isinstance(choice, str) for choice in choices):
            return (str,), "a string"
        return None
    for field_class, types, label in _JSON_TYPES:
        if isinstance(field, field_class):
            return types, label
    return None


def json_type_errors(serializer, data) -> dict[str, list[str]]:
    """The fields of `data` whose JSON type is not the one the field takes."""
    if not isinstance(data, Mapping):
        return {}
    errors: dict[str, list[str]] = {}
    for name, field in serializer.fields.items():
        if field.read_only or field.source == "*" or name not in data:
            continue
        value = data[name]
        if value is None:
            continue  # null is the field's own business (allow_null)
        expected = _expected_type(field)
        if expected is None:
            continue
        types, label = expected
        # bool is an int in Python; JSON keeps them apart.
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            errors[name] = [f"Must be {label}."]
    return errors


class StrictTypesMixin:
    def to_internal_value(self, data):
        errors = json_type_errors(self, data)
        if not errors:
            return super().to_internal_value(data)
        # Every problem is listed at once: the other fields are still validated without the mistyped ones.
        try:
            super().to_internal_value({key: value for key, value in data.items() if key not in errors})
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, Mapping):
                errors.update({key: value for key, value in exc.detail.items() if key not in errors})
        raise serializers.ValidationError(errors)


class Serializer(StrictTypesMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictTypesMixin, serializers.ModelSerializer):
    pass


_SIMPLE_CALLABLE: dict[object, bool] = {}


def _source_value(instance, attrs):
    """rest_framework.fields.get_attribute, with the answer of is_simple_callable (a signature inspection per
    call) kept per function."""
    for attr in attrs:
        try:
            if not isinstance(instance, Model) and isinstance(instance, Mapping):
                instance = instance[attr]
            else:
                instance = getattr(instance, attr)
        except ObjectDoesNotExist:
            return None
        if not callable(instance):
            continue
        if inspect.isfunction(instance) or inspect.ismethod(instance):
            key = getattr(instance, "__func__", instance)
            simple = _SIMPLE_CALLABLE.get(key)
            if simple is None:
                simple = _SIMPLE_CALLABLE[key] = is_simple_callable(instance)
        else:
            simple = is_simple_callable(instance)  # a partial, or a builtin, which DRF refuses
        if simple:
            try:
                instance = instance()
            except (AttributeError, KeyError) as exc:  # as DRF: not taken for a missing attribute
                raise ValueError(
                    f"Exception raised in callable attribute '{attr}'; original exception was: {exc}"
                ) from exc
    return instance


class ReadOnlyListSerializer(serializers.ListSerializer):
    """A list of read-only rows, represented as the child serializer represents each one, with the per-field
    work DRF repeats for every row (the readable fields, the source path, whether a source is a method to call)
    done once per list. Lists of 50 rows spent more in that than in their query."""

    def to_representation(self, data):
        rows = data.all() if isinstance(data, BaseManager) else data
        plan = []
        for field in self.child._readable_fields:
            plain = type(field).get_attribute is Field.get_attribute and field.source != "*"
            plan.append((field.field_name, field, tuple(field.source_attrs), plain))
        out = []
        for instance in rows:
            row = {}
            for name, field, attrs, plain in plan:
                try:
                    if plain:
                        try:
                            attribute = _source_value(instance, attrs)
                        except (KeyError, AttributeError):
                            if field.default is not empty:
                                attribute = field.get_default()
                            elif field.allow_null:
                                attribute = None
                            elif not field.required:
                                raise SkipField() from None
                            else:
                                raise
                    else:
                        attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                row[name] = None if check is None else field.to_representation(attribute)
            out.append(row)
        return out


_DATETIME = serializers.DateTimeField()


def datetime_representer() -> Callable[[object], str | None]:
    """DRF's `DateTimeField().to_representation` for the rows of one list, with the current time zone read once
    rather than per value (a list of 50 rows with three date-times each read it 150 times). Aware values in
    ISO 8601 are converted here, the same way; anything else (naive values, another output format, values DRF
    refuses) goes through DRF's field itself."""
    if not settings.USE_TZ or not isinstance(api_settings.DATETIME_FORMAT, str) \
            or api_settings.DATETIME_FORMAT.lower() != ISO_8601:
        return _DATETIME.to_representation
    zone = timezone.get_current_timezone()

    def represent(value):
        if value is None:
            return None  # as a serializer gives a field whose value is None
        if not value or isinstance(value, str) or value.utcoffset() is None:
            return _DATETIME.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return _DATETIME.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent
