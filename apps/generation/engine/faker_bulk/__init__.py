"""Vectorised sampling of common Faker providers from Faker's own locale data.

Rather than re-typing what each locale does, the provider method of the locale
is read (its source, via `ast`) and evaluated *symbolically* (`evaluator`): the
data it touches (`self.first_names`, `self.formats`, ...) is concrete, every
random step (`random_element`, `numerify`, `generator.parse`, `randint`, ...)
becomes a symbol (`symbols`) and then a node of the string grammar in
`patterns`, and the resulting tree is sampled with numpy (`sampler`) or
enumerated for unique columns (`enumeration`). A method doing anything outside
that small vocabulary (loops over random values, conditions on random values,
`super()`, other libraries) is not answered in bulk (`bulk_sampler` returns
None) and the caller falls back to Faker itself, so a locale never gets values
its own Faker would not make.

Known approximations, all character-local: string transformations Faker applies
to a whole value (`lower`, `slugify`, `_to_ascii`, ...) are applied to each
piece of the value separately, and `numerify` after `generator.parse` is applied
to token values as well as to the format (as Faker does).
"""

from .providers import BULK_PROVIDERS
from .sampler import BulkSampler, bulk_sampler
from .symbols import Unsupported

__all__ = ["BULK_PROVIDERS", "BulkSampler", "Unsupported", "bulk_sampler"]
