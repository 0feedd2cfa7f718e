"""Country lists sorted as the active language's readers look for a country: django-countries
sorts by the translated names, but without pyuca its key keeps only the ASCII letters of a name,
so Chinese names (no ASCII letters at all) kept the library's order, that of the English names.
In Chinese the names are sorted by their pinyin (as Chinese dictionaries and forms do); other
languages keep the library's key. Installed once from OcrmConfig.ready()."""

import django_countries
from django.utils.translation import get_language
from pypinyin import lazy_pinyin

_library_sort_key = django_countries.sort_key


def sort_key(item):
    """item: (code, translated name)."""
    if (get_language() or "").startswith("zh"):
        name = str(item[1]).strip()
        return (lazy_pinyin(name), name)
    return ([], _library_sort_key(item))


def install():
    django_countries.sort_key = sort_key
