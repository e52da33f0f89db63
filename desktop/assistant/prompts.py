"""Prompts as data (assets/prompts/*.toml) and the one way untrusted text enters them: a data block.

Document text and anything derived from it (notes a model wrote about it) is wrapped in
`<document ...>` or `<notes ...>` tags. Inside, every tag-like `<document`, `</document`, `<notes`,
`</notes` is defused, so a document can neither close its own block nor open a fake one; the
system prompt says block content is data, not instructions.
"""

import os
import re
import tomllib
from functools import cache

from desktop import resources

PROMPTS_DIR = resources.asset("prompts")
DATA_TAGS = ("document", "notes")
_TAG_LIKE = re.compile(r"<(\s*/?\s*)(" + "|".join(DATA_TAGS) + r")\b", re.IGNORECASE)
_ATTRIBUTE_UNSAFE = re.compile(r'["<>\n\r]')


@cache
def load(name: str) -> dict:
    """assets/prompts/<name>.toml as a dict (read once per process)."""
    with open(PROMPTS_DIR / f"{name}.toml", "rb") as f:
        return tomllib.load(f)


def fill(template: str, **values) -> str:
    """str.format on a template from the assets: braces inside the values are left alone."""
    return template.format_map(values)


def defuse(text: str) -> str:
    """Text that cannot open or close a data block: `<` of a tag-like name becomes `‹`."""
    return _TAG_LIKE.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


def _attribute(value) -> str:
    return _ATTRIBUTE_UNSAFE.sub(" ", str(value)).strip()


def data_block(tag: str, text: str, **attributes) -> str:
    """`<tag a="1" ...>\\ntext\\n</tag>`; attributes with value None are left out."""
    if tag not in DATA_TAGS:
        raise ValueError(f"unknown data tag {tag!r}")
    attrs = "".join(f' {key}="{_attribute(value)}"' for key, value in attributes.items() if value is not None)
    return f"<{tag}{attrs}>\n{defuse(text.strip())}\n</{tag}>"


def user_language(environ=None) -> str:
    """The user's language name from the locale variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    environ = os.environ if environ is None else environ
    table = load("languages")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        code = re.split(r"[_.:@-]", value, maxsplit=1)[0].lower()
        if code in ("", "c", "posix"):
            continue
        return table["names"].get(code, table["default"])
    return table["default"]
