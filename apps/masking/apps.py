from django.apps import AppConfig


class MaskingConfig(AppConfig):
    name = "apps.masking"
    label = "masking"
    verbose_name = "Masking"
