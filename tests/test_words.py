"""The catalogue (cnnlib.catalogue) and cnnlib.words: every key in English and Spanish with the same placeholders,
Messages that read English and say themselves in Spanish, and cnnlib's errors carrying their keys.

    .venv/bin/python -m pytest tests/test_words.py -q
"""
from __future__ import annotations

import ast
import copy
import pickle
import re
from pathlib import Path

import pytest

from cnnlib import words
from cnnlib.words import LANGUAGES, WORDS, Message, Parts, joined, placeholders, say, tr


def test_every_key_has_every_language_with_the_same_placeholders():
    assert len(WORDS) > 100
    for key, entry in WORDS.items():
        assert set(entry) == set(LANGUAGES), key
        texts = [entry[lang] for lang in LANGUAGES]
        assert all(t.strip() for t in texts), key
        assert placeholders(texts[0]) == placeholders(texts[1]), key
        for text in texts:                           # every template formats (no stray braces)
            text.format(**{name: 1 for name in placeholders(text)})


def test_the_spanish_is_not_the_english_left_in_place():
    # a few entries read the same in both languages on purpose: placeholders and symbols, a name
    same = {key for key, entry in WORDS.items() if entry["en"] == entry["es"]}
    wordless = {k for k in same if not re.search(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", WORDS[k]["en"]))}
    assert same - wordless == {"plots.tutorial"}, same - wordless


def test_a_message_is_its_english_and_says_itself_in_spanish():
    m = Message("config.not_allowed", field="epochs", value="0", what=Message("config.whole_number"))
    assert m == "epochs=0 is not allowed: it must be a whole number." and isinstance(m, str)
    assert m.say("es") == "epochs=0 no está permitido: debe ser un número entero."
    assert tr(m, "es") == m.say("es") and tr("plain text", "es") == "plain text"
    assert pickle.loads(pickle.dumps(m)).say("es") == m.say("es") and copy.deepcopy(m).key == m.key
    both = joined(m, "", Message("config.fp16_cpu"))
    assert both == m + " " + Message("config.fp16_cpu") and both.say("es").endswith("en la CPU usa 'bf16' o 'fp32'.")


def test_numbers_formatted_by_a_template_are_written_the_spanish_way():
    assert say("percent", "en", value=57.25) == "57.2 %" and say("percent", "es", value=57.25) == "57,2 %"
    assert say("data.reading", "es", done=1500, total=20000) == "Leyendo imágenes: 1\u202f500 de 20\u202f000"
    assert say("config.number_from_to", "es", lo="0.0", hi="10.0") == "debe ser un número de 0.0 a 10.0"   # code
    assert words.number(0.5, ".1%", "es") == "50,0%" and words.number(1234, ",", "en") == "1,234"


def test_the_built_in_data_sets_name_is_said_in_the_readers_language():
    assert tr("Shapes-10 (built in)", "es") == "Shapes-10 (incluido)"
    assert say("mismatch.size", "es", size=32, data="Shapes-10 (built in)", has=64).count("incluido") == 1


def test_a_message_survives_being_kept_as_plain_data():
    note = Message("data.skipped", files=3, parts=Parts([Message("data.skipped_unreadable", files=2), "x"], ", "))
    data = words.to_data(note)
    assert "Message" not in repr(data) and words.from_data(data) == note
    assert words.from_data(data).say("es").startswith("Se omitieron 3 archivo(s)") and words.from_data("text") == "text"


@pytest.mark.parametrize("locale, lang", [("es-ES", "es"), ("es_419", "es"), ("ES", "es"), ("en-GB", "en"),
                                          ("fr-FR", "en"), ("", "en"), (None, "en")])
def test_the_language_of_a_browser_locale(locale, lang):
    assert words.language_of(locale) == lang


def test_cnnlibs_errors_and_problems_carry_their_keys():
    from cnnlib.config import TrainConfig
    from cnnlib.data import DataError, load_image_folder
    from cnnlib.files import DiskFull
    from cnnlib.images import ImageError, decode
    from cnnlib.links import parse

    problems = TrainConfig(epochs=0, nesterov=True, optimizer="adam").validate()
    assert all(isinstance(p, Message) for p in problems)
    assert problems[0].say("es") == "epochs=0 no está permitido: debe ser como mínimo 1 y como mucho 1000."
    with pytest.raises(ValueError) as e:
        TrainConfig(lr=50.0).check()
    assert words.message_of(e.value).say("es").startswith("Configuración de entrenamiento no válida: lr=50.0")
    with pytest.raises(ImageError) as e:
        decode(b"not an image")
    assert words.message_of(e.value).say("es").startswith("no es una imagen legible")
    with pytest.raises(DataError) as e:
        load_image_folder("/no/such/folder")
    assert words.message_of(e.value).say("es") == ("/no/such/folder no existe. Indica una carpeta de imágenes o un "
                                                    ".zip de una.")
    full = DiskFull(Message("what.the_upload"))
    assert str(full).startswith("The server's disk is full: the upload could not be saved. Ask the teacher")
    assert words.message_of(full).say("es") == ("El disco del servidor está lleno: no se pudo guardar el archivo "
                                                 "subido. Pide al profesor que libere espacio en el servidor.")
    link = parse({"epochs": "abc", "lang": "xx"})
    assert [p.say("es") for p in link.problems] == [
        "lang='xx' en el enlace no es un idioma que CNN Lab hable (en, es): se ha omitido.",
        "epochs='abc' en el enlace no es un número entero: se ha omitido."]


# --- no English left in the app's code ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# Streamlit calls that show text, and the arguments (by position or name) that hold it
SHOWN_ARGS = {"title": 1, "header": 1, "subheader": 1, "markdown": 1, "caption": 1, "text": 1, "write": 1,
              "info": 1, "warning": 1, "error": 1, "success": 1, "toast": 1, "spinner": 1, "expander": 1,
              "button": 1, "download_button": 1, "checkbox": 1, "toggle": 1, "radio": 1, "selectbox": 1,
              "multiselect": 1, "slider": 1, "select_slider": 1, "number_input": 1, "text_input": 1,
              "text_area": 1, "file_uploader": 1, "metric": 2, "popover": 1, "form_submit_button": 1, "tabs": 1,
              "progress": 0, "page_link": 0, "image": 0, "Page": 0, "set_page_config": 0}
SHOWN_KEYWORDS = {"label", "help", "caption", "text", "placeholder", "title", "page_title", "body", "value"}
KEPT = {"CNN Lab"}                     # the product's name, the same in every language


def _literal_words(node: ast.AST) -> str:
    """The words a string literal or f-string holds outside its placeholders ("" for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    else:
        return ""
    return "" if text in KEPT else text if re.search(r"[A-Za-z]{2,}", text) else ""


def test_no_page_shows_a_sentence_that_is_not_from_the_catalogue():
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if (n := SHOWN_ARGS.get(node.func.attr)) is None:
                continue
            args = node.args[:n] + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
            found += [f"{path.name}:{node.lineno}: {said!r}" for a in args if (said := _literal_words(a))]
    assert not found, "\n".join(found)


def test_cnnlib_raises_and_reports_only_catalogue_sentences():
    # Left in English on purpose: errors of code misusing cnnlib, which no page can meet, and a decoding
    # process's failure, which cifar10_pack.load catches (it decodes in its own process instead)
    for_programmers = {("inspection.py", "ValueError"), ("runner.py", "RuntimeError"),
                       ("__init__.py", "AttributeError"), ("cifar10_pack.py", "subprocess.SubprocessError")}
    found = []
    for path in sorted((ROOT / "cnnlib").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            call = node.exc if isinstance(node, ast.Raise) else node.value if isinstance(node, ast.Expr) else None
            if not isinstance(call, ast.Call) or not call.args:
                continue
            name = ast.unparse(call.func)
            raised = isinstance(node, ast.Raise) and name != "_wrong" and (path.name, name) not in for_programmers
            appended = name.endswith("problems.append")
            if (raised or appended) and _literal_words(call.args[0]):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(call)[:100]}")
    assert not found, "\n".join(found)


def test_every_field_has_its_words_and_no_word_is_left_over():
    """A field's words are the catalogue's, under its name: help.<field> (the command line's help and the
    app's), label.<field> for each setting on the Train page, why.<field> where its facts say it has one."""
    import dataclasses

    from cnnlib.config import SETTINGS, TrainConfig, facts, groups
    names = [f.name for f in dataclasses.fields(TrainConfig)]

    def keyed(prefix: str) -> set[str]:
        return {key.removeprefix(prefix) for key in WORDS if key.startswith(prefix)}
    assert keyed("help.") == set(names)
    assert keyed("label.") == set(SETTINGS)
    assert keyed("why.") == {name for name in names if facts(name).why}
    assert keyed("group.") == set(groups())


def test_each_views_explanation_is_two_sentences():
    from ui.browser import EXPLAIN
    for view in ("confusion", "per_class", "mistakes", "feature_maps", "filters", "filters_fitted", "gradcam",
                 "compare", "adversarial", "robustness"):
        for language in ("en", "es"):
            text = EXPLAIN[view].say(language)
            assert text.count(". ") == 1 and text.endswith("."), (view, language)
        assert EXPLAIN[view].say("es") != EXPLAIN[view].say("en"), view


def test_inspect_names_a_test_image_class_without_an_article_that_would_not_fit():
    from cnnlib.data import CIFAR10_CLASSES
    for label in CIFAR10_CLASSES:                      # "a airplane" read wrong: the class is named, no article
        text = say("inspect.about", "en", index=7, label=label)
        assert text == f"Test image 7, class {label}" and not re.search(r"\ba [aeiou]", text)
    assert say("inspect.about", "es", index=7, label="avión") == "Imagen de prueba 7, de la clase avión"
