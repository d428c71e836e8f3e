"""Saying CNN Lab's words in English or Spanish: `WORDS` (a key -> {"en": …, "es": …}, from the catalogue
in cnnlib.catalogue), `say()` to put a sentence in a language, and `Message`, a sentence that cnnlib hands
up (an error, a problem with a setting, a note on a data set, a run's state) as its English text that
still knows its key and values, so that a page can say it in its reader's language while the command
line, the logs, the tests and run.json read English.

Templates use str.format placeholders, the same ones in both languages. A value that is a Message is
said in the template's language too, as is a known name (`NAMES`: the built-in data sets); a tuple of
sentences is joined with spaces. In Spanish, a number that the template formats ({n:,}, {acc:.1f}) is
written the Spanish way (4 210 090; 57,3); a value that is code (a setting as typed: lr=0.001) comes
in as text and stays as it is, as the number boxes show it.

    say("train.start", "es")                      # 'Iniciar'
    m = Message("config.whole_number")            # a str: 'it must be a whole number'
    m.say("es")                                   # 'debe ser un número entero'
"""
from __future__ import annotations

import string
from typing import Any

from cnnlib.catalogue import CATALOGUE, NAMES

LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}    # each in its own words, for the language selector


def language_of(locale: str | None) -> str:
    """The catalogue's language for a browser's locale ("es-ES", "es_419", "es" -> "es"); English otherwise."""
    tag = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return tag if tag in LANGUAGES else "en"


class Parts(tuple):
    """Phrases said one after the other with `sep` between them (a Message's tuple of sentences is
    joined with spaces; a list of phrases in a sentence, with ", ")."""
    sep: str = " "

    def __new__(cls, parts, sep: str = " ") -> Parts:
        self = super().__new__(cls, tuple(parts))
        self.sep = sep
        return self

    def __reduce__(self):
        return (Parts, (tuple(self), self.sep))


class Message(str):
    """A sentence from the catalogue: a str holding its English text, with the `key` and `params` that
    say it in another language (`say(lang)`). Raised in exceptions, listed as problems and notes."""
    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params) -> Message:
        self = super().__new__(cls, say(key, "en", **params))
        self.key, self.params = key, params
        return self

    def say(self, lang: str) -> str:
        return say(self.key, lang, **self.params)

    def __reduce__(self):                     # pickled and copied as its key and values, not its English
        return (_remade, (self.key, self.params))


def _remade(key: str, params: dict) -> Message:
    return Message(key, **params)


def joined(*parts: str) -> Message:
    """Sentences said one after the other (the empty ones left out), as one Message."""
    return Message("join", parts=Parts(p for p in parts if p))


def tr(text: Any, lang: str) -> str:
    """`text` in `lang`: a Message said in it, a known name (NAMES) translated, a tuple of sentences
    joined, anything else as str() has it (a file's name, a class name, a number)."""
    if isinstance(text, Message):
        return text.say(lang)
    if isinstance(text, tuple):
        return getattr(text, "sep", " ").join(tr(t, lang) for t in text)
    if isinstance(text, str) and text in NAMES:
        return say(NAMES[text], lang)
    return str(text)


def class_name(name: str, lang: str) -> str:
    """A class as a page shows it: the built-in data sets' classes (CIFAR-10's, Shapes-10's) in `lang`,
    any other (an upload's folder name) as it is. The class itself stays its name everywhere else."""
    return tr(class_message(name), lang)


def class_message(name: str) -> str:
    """A class's name as a Message when the catalogue says it in other languages (class.<name>), else as it is."""
    return Message(f"class.{name}") if f"class.{name}" in WORDS else name




def message_of(e: BaseException) -> str:
    """What an exception says, as a Message when cnnlib raised it with one (files.DiskFull keeps its
    own), else its plain text."""
    said = getattr(e, "message", None)
    if isinstance(said, Message):
        return said
    if e.args and isinstance(e.args[0], Message):
        return e.args[0]
    return str(e)


class _Formatter(string.Formatter):
    """str.format in a language: values said in it, and numbers written its way."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, spec: str) -> str:
        if isinstance(value, (str, tuple)):
            return format(tr(value, self.lang), spec)
        text = format(value, spec)
        if self.lang == "es" and spec and isinstance(value, (int, float)) and not isinstance(value, bool):
            text = text.translate(_SPANISH_DIGITS)
        return text


# 4,210,090.5 -> 4 210 090,5: the decimal comma, and a narrow no-break space between thousands (RAE)
_SPANISH_DIGITS = str.maketrans({",": "\u202f", ".": ","})


def say(key: str, lang: str = "en", /, **params) -> str:
    """The catalogue's sentence `key` in `lang` (English where it has none), its placeholders filled in."""
    entry = WORDS[key]
    return _Formatter(lang).vformat(entry.get(lang) or entry["en"], (), params)


def number(value: float, spec: str, lang: str) -> str:
    """A number formatted with `spec`, written as `lang` writes numbers (for values a page shows alone)."""
    return _Formatter(lang).format_field(value, spec)


def placeholders(template: str) -> set[str]:
    """The names of a template's placeholders ({n:,} -> n)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def fixed_phrases(lang: str = "en", min_words: int = 4) -> set[str]:
    """The stretches of text between placeholders, of at least `min_words` words, that only `lang`'s
    templates hold (markdown marks and runs of spaces taken out, as `plain` does): what a page in
    another language must not show. The tests look for the English ones on every page in Spanish."""
    others = [plain(entry[other]) for entry in WORDS.values() for other in LANGUAGES if other != lang]
    phrases = set()
    for entry in WORDS.values():
        for literal, *_ in string.Formatter().parse(entry[lang]):
            phrase = plain(literal).strip(" ,.;:()")
            words = [w for w in phrase.split() if any(c.isalpha() for c in w)]
            if len(words) >= min_words and not any(phrase in other for other in others):
                phrases.add(phrase)
    return phrases


def plain(text: str) -> str:
    """Text as a page shows it, near enough: without markdown's * and `, its spaces single."""
    return " ".join(text.replace("*", "").replace("`", "").split())


def to_data(text: str) -> Any:
    """A Message as plain data (dicts, lists, text, numbers) that torch.load(weights_only=True) and JSON
    read back; `from_data` makes the Message again. Plain text stays text."""
    if isinstance(text, Message):
        return {"key": text.key, "params": {k: to_data(v) for k, v in text.params.items()}}
    if isinstance(text, Parts):
        return {"parts": [to_data(p) for p in text], "sep": text.sep}
    return text


def from_data(data: Any) -> Any:
    if isinstance(data, dict) and "key" in data and data["key"] in WORDS:
        return Message(data["key"], **{k: from_data(v) for k, v in data.get("params", {}).items()})
    if isinstance(data, dict) and "parts" in data:
        return Parts((from_data(p) for p in data["parts"]), data.get("sep", " "))
    return data


WORDS: dict[str, dict[str, str]] = {key: {"en": en, "es": es} for key, (en, es) in CATALOGUE.items()}
