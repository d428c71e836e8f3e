"""Every word CNN Lab shows, in English and Spanish: the catalogue (`WORDS`, a key -> {"en": …, "es": …}),
`say()` to put a sentence in a language, and `Message`, a sentence that cnnlib hands up (an error, a
problem with a setting, a note on a data set, a run's state) as its English text that still knows its
key and values, so that a page can say it in its reader's language while the command line, the logs,
the tests and run.json read English.

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

    def __new__(cls, parts, sep: str = " ") -> "Parts":
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

    def __new__(cls, key: str, /, **params) -> "Message":
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


# --- the catalogue: key -> (English, Spanish) -------------------------------------------------------
# The Spanish uses the tutorial's terms: época, lote, tasa de aprendizaje, pérdida, precisión (accuracy),
# conjunto de entrenamiento / de prueba, capa, filtro, red neuronal convolucional; "ejecución" is a run.
# Numeric precision (fp32, bf16) is "formato numérico", so that "precisión" always means accuracy.

_CATALOGUE: dict[str, tuple[str, str]] = {
    "join": ("{parts}", "{parts}"),

    # --- cnnlib.config: settings and their checks ---------------------------------------------------
    "config.not_allowed": ("{field}={value} is not allowed: {what}.", "{field}={value} no está permitido: {what}."),
    "config.choose_one": ("choose one of {choices}", "elige uno de estos: {choices}"),
    "config.number_from_to": ("it must be a number from {lo} to {hi}", "debe ser un número de {lo} a {hi}"),
    "config.above_at_most": ("it must be above {lo} and at most {hi}", "debe ser mayor que {lo} y como mucho {hi}"),
    "config.at_least_at_most": ("it must be at least {lo} and at most {hi}",
                                "debe ser como mínimo {lo} y como mucho {hi}"),
    "config.whole_number": ("it must be a whole number", "debe ser un número entero"),
    "config.true_or_false": ("it must be true or false", "debe ser verdadero o falso (true o false)"),
    "config.data": ('use "cifar10", "builtin" or the path to an image folder or .zip',
                    'usa "cifar10", "builtin" o la ruta de una carpeta de imágenes o de un .zip'),
    "config.folder_path": ("it must be a folder's path", "debe ser la ruta de una carpeta"),
    "config.nesterov": ("nesterov=True needs optimizer='sgd' and a momentum above 0.",
                        "nesterov=True necesita optimizer='sgd' y un momento (momentum) mayor que 0."),
    "config.fp16_cpu": ("precision='fp16' is for GPUs; on the CPU use 'bf16' or 'fp32'.",
                        "precision='fp16' es para GPU; en la CPU usa 'bf16' o 'fp32'."),
    "config.invalid": ("Invalid training configuration: {problems}",
                       "Configuración de entrenamiento no válida: {problems}"),
    "config.unknown_preset": ("Unknown preset {name}: choose one of {choices}.",
                              "La receta {name} no existe: elige una de estas: {choices}."),
    "tta.none": ("the image alone", "la imagen sola"),
    "tta.flip": ("the image and its mirror", "la imagen y su reflejo"),
    "tta.flip+shift": ("the image, its mirror and both moved by one pixel",
                       "la imagen, su reflejo y ambos desplazados un píxel"),
    "preset.tutorial": (
        "The tutorial's exact recipe: ToTensor only, batch 32, SGD lr 0.001 momentum 0.9, 10 epochs, the tutorial "
        "CNN with dropout 0.3 and 0.5.",
        "La receta exacta del tutorial: solo ToTensor, lotes de 32, SGD con tasa de aprendizaje 0.001 y momento 0.9, "
        "10 épocas, la CNN del tutorial con dropout 0.3 y 0.5."),
    "preset.demo": (
        "A one-minute classroom demo on the CPU: the batch-norm CNN, 2 epochs, one-cycle SGD, flips and crops.",
        "Una demostración de un minuto para la clase, en la CPU: la CNN con normalización por lotes, 2 épocas, SGD "
        "de un ciclo (one-cycle), volteos y recortes."),
    "preset.fast-cpu": (
        "The tutorial's 57% in about 10 seconds on a 2-core CPU: the tiny batch-norm CNN, one epoch, batch 256, "
        "one-cycle Nesterov SGD, label smoothing 0.2, flips and 4-pixel crops, a test check every 25 steps.",
        "El 57 % del tutorial en unos 10 segundos en una CPU de 2 núcleos: la CNN diminuta con normalización por "
        "lotes, una época, lotes de 256, SGD de un ciclo con Nesterov, suavizado de etiquetas 0.2, volteos y "
        "recortes de 4 píxeles, y una prueba cada 25 pasos."),
    "preset.cpu-5min": (
        "85% after under five minutes of training on a 2-core CPU (the tests after each epoch add under two minutes "
        "more): the small batch-norm CNN (32-64-128), 9 epochs, batch 256, one-cycle Nesterov SGD, label smoothing "
        "0.2, flips and crops; tested on each image, its mirror and one-pixel shifts of both.",
        "Un 85 % con menos de cinco minutos de entrenamiento en una CPU de 2 núcleos (las pruebas tras cada época "
        "añaden menos de dos minutos): la CNN pequeña con normalización por lotes (32-64-128), 9 épocas, lotes de "
        "256, SGD de un ciclo con Nesterov, suavizado de etiquetas 0.2, volteos y recortes; se prueba con cada "
        "imagen, su reflejo y ambos desplazados un píxel."),
    "preset.gpu-speedrun": (
        "For a GPU, after the CIFAR-10 speed record (airbench94): the wider batch-norm CNN with a whitening first "
        "layer, 10 epochs, batch 1024, bf16 (or fp16) autocast, one-cycle Nesterov SGD with batch-norm shifts at 64x "
        "the learning rate and Lookahead, label smoothing, flips alternating by epoch and 2-pixel crops, test-time "
        "flips and shifts.",
        "Para una GPU, según el récord de velocidad en CIFAR-10 (airbench94): la CNN más ancha con normalización por "
        "lotes y una primera capa de blanqueo (whitening), 10 épocas, lotes de 1024, autocast bf16 (o fp16), SGD de "
        "un ciclo con Nesterov, con los desplazamientos de la normalización por lotes a 64 veces la tasa de "
        "aprendizaje y Lookahead, suavizado de etiquetas, volteos alternos por época y recortes de 2 píxeles, y "
        "volteos y desplazamientos en la prueba."),

    # --- cnnlib.models and cnnlib.train ---------------------------------------------------------------
    "arch.tutorial": (
        "The tutorial's CNN: two 3x3 convs, one max-pool, a 512-wide hidden layer (4.2 M parameters).",
        "La CNN del tutorial: dos convoluciones de 3x3, un max-pool y una capa oculta de 512 neuronas "
        "(4,2 millones de parámetros)."),
    "arch.small": ("Tiny batch-norm CNN (16-32-64): the fastest to train on a CPU.",
                   "CNN diminuta con normalización por lotes (16-32-64): la más rápida de entrenar en una CPU."),
    "arch.fast": ("Small batch-norm CNN (32-64-128), built for speed on a CPU.",
                  "CNN pequeña con normalización por lotes (32-64-128), hecha para ir rápido en una CPU."),
    "arch.vgg": ("Deeper VGG-style CNN: four blocks of two convs with batch norm (64-128-256-256).",
                 "CNN más profunda al estilo VGG: cuatro bloques de dos convoluciones con normalización por lotes "
                 "(64-128-256-256)."),
    "arch.resnet": ("Small ResNet: a stem and three residual blocks with batch norm (64-128-256).",
                    "ResNet pequeña: una capa inicial y tres bloques residuales con normalización por lotes "
                    "(64-128-256)."),
    "arch.speedrun": (
        "Wider batch-norm CNN for GPUs (64-256-256) after the CIFAR-10 speed record (airbench94): a whitening first "
        "layer set from the data, convolutions that start as the identity, GELU.",
        "CNN más ancha con normalización por lotes para GPU (64-256-256), según el récord de velocidad en CIFAR-10 "
        "(airbench94): una primera capa de blanqueo (whitening) calculada a partir de los datos, convoluciones que "
        "empiezan como la identidad, GELU."),
    "models.unknown": ("Unknown model {name}: choose one of {choices}.",
                       "El modelo {name} no existe: elige uno de estos: {choices}."),
    "models.halves": ("Model {name} halves the image {times} times: the image size {size} must be a multiple of "
                      "{multiple}.",
                      "El modelo {name} divide la imagen a la mitad {times} veces: el tamaño de imagen {size} debe "
                      "ser múltiplo de {multiple}."),
    "models.too_large": (
        "A '{name}' network for {size}×{size} images and {classes} classes would take {total} ({parameters:,} "
        "parameters: {weights} of weights, and {activations} for one image), more than this server's limit of "
        "{limit} (CNNLAB_MAX_MODEL_MB).",
        "Una red '{name}' para imágenes de {size}×{size} y {classes} clases ocuparía {total} ({parameters:,} "
        "parámetros: {weights} de pesos y {activations} por imagen), más que el límite de este servidor, "
        "{limit} (CNNLAB_MAX_MODEL_MB)."),
    "models.too_large_to_train": (
        "Training a '{name}' network on {size}×{size} images in batches of {batch:,} would take about {need} of the "
        "server's memory; one run may take at most {limit} here (CNNLAB_MAX_RUN_MB). Choose a batch size of {fits:,} "
        "or less.",
        "Entrenar una red '{name}' con imágenes de {size}×{size} en lotes de {batch:,} ocuparía unos {need} de la "
        "memoria del servidor; aquí una ejecución puede ocupar como mucho {limit} (CNNLAB_MAX_RUN_MB). Elige un "
        "tamaño de lote de {fits:,} o menos."),
    "train.no_cuda": ("device='cuda' was asked for but no CUDA GPU is available; use 'auto' or 'cpu'.",
                      "Se pidió device='cuda', pero no hay ninguna GPU CUDA disponible; usa 'auto' o 'cpu'."),
    "train.no_mps": ("device='mps' was asked for but Apple's MPS is not available; use 'auto' or 'cpu'.",
                     "Se pidió device='mps', pero MPS de Apple no está disponible; usa 'auto' o 'cpu'."),
    "train.diverged_step": (
        "The loss became {loss:.3g} at epoch {epoch}, step {step}: the learning rate is probably too high. Lower it "
        "(e.g. by 10x) and start again.",
        "La pérdida llegó a {loss:.3g} en la época {epoch}, paso {step}: seguramente la tasa de aprendizaje es "
        "demasiado alta. Bájala (por ejemplo, a la décima parte) y empieza de nuevo."),
    "train.diverged_test": (
        "The test loss became {loss:.3g} after epoch {epoch}: the learning rate is probably too high. Lower it "
        "(e.g. by 10x) and start again.",
        "La pérdida de prueba llegó a {loss:.3g} tras la época {epoch}: seguramente la tasa de aprendizaje es "
        "demasiado alta. Bájala (por ejemplo, a la décima parte) y empieza de nuevo."),

    # --- cnnlib.files: a full disk --------------------------------------------------------------------
    "disk.full": ("The server's disk {state}: {what} could not be saved. {advice}",
                  "El disco del servidor {state}: no se pudo guardar {what}. {advice}"),
    "disk.is_full": ("is full", "está lleno"),
    "disk.over_quota": ("is over its quota", "ha superado su cuota"),
    "disk.read_only": ("is read-only", "es de solo lectura"),
    "disk.fix_space": ("free space on the server", "libere espacio en el servidor"),
    "disk.fix_writable": ("make it writable", "permita escribir en él"),
    "disk.ask_teacher": ("Ask the teacher to {fix}.", "Pide al profesor que {fix}."),
    "disk.download_instead": ("Download the run below to keep it; ask the teacher to {fix}.",
                              "Descarga la ejecución aquí abajo para conservarla; pide al profesor que {fix}."),
    "what.this_run": ("this run", "esta ejecución"),
    "what.the_run": ("the run", "la ejecución"),
    "what.the_run_named": ("the run {name}", "la ejecución {name}"),
    "what.the_upload": ("the upload", "el archivo subido"),
    "what.the_new_name": ("the new name", "el nuevo nombre"),
    "what.unpacked_cifar10": ("the unpacked CIFAR-10", "CIFAR-10 descomprimido"),

    # --- cnnlib.images and cnnlib.predict: one image --------------------------------------------------
    "images.formats": ("PNG, JPEG, WebP, BMP, GIF, TIFF or PPM", "PNG, JPEG, WebP, BMP, GIF, TIFF o PPM"),
    "images.unidentified": ("not a readable image (PIL could not identify its format). Use a {formats} file.",
                            "no es una imagen legible (PIL no reconoce su formato). Usa un archivo {formats}."),
    "images.bomb": ("the image has over {pixels:,.0f} million pixels; the limit is {limit:.0f} million.",
                    "la imagen tiene más de {pixels:,.0f} millones de píxeles; el límite es de {limit:.0f} millones."),
    "images.damaged_header": ("not a readable image (its header is damaged). Use a {formats} file.",
                              "no es una imagen legible (su cabecera está dañada). Usa un archivo {formats}."),
    "images.damaged_data": ("not a readable image (the {format} data is damaged or cut short).",
                            "no es una imagen legible (sus datos {format} están dañados o incompletos)."),
    "images.too_large": ("the image is {width:,}×{height:,} pixels ({megapixels:,.0f} million); the limit is "
                         "{limit:.0f} million pixels. Use a smaller copy.",
                         "la imagen mide {width:,}×{height:,} píxeles ({megapixels:,.0f} millones); el límite es "
                         "de {limit:.0f} millones de píxeles. Usa una copia más pequeña."),
    "images.file_too_big": ("the file is {mb:.1f} MB; the limit is {limit:.0f} MB.",
                            "el archivo ocupa {mb:.1f} MB; el límite es de {limit:.0f} MB."),

    # --- cnnlib.data: data sets -----------------------------------------------------------------------
    "dataset.builtin": ("Shapes-10 (built in)", "Shapes-10 (incluido)"),
    "dataset.compact": ("CIFAR-10 (compact copy)", "CIFAR-10 (copia compacta)"),
    "data.downloading": ("Downloading CIFAR-10: {done:.0f} of {total:.0f} MB",
                         "Descargando CIFAR-10: {done:.0f} de {total:.0f} MB"),
    "data.unpacking": ("Unpacking CIFAR-10", "Descomprimiendo CIFAR-10"),
    "data.reading": ("Reading images: {done:,} of {total:,}", "Leyendo imágenes: {done:,} de {total:,}"),
    "data.cifar10_help": (
        "To use CIFAR-10 without a network, put cifar-10-python.tar.gz (or its extracted cifar-10-batches-py folder) "
        "into {root}/, or train on an image folder or .zip (train/<class>/… and test/<class>/…), or on the built-in "
        "Shapes-10 set (data 'builtin').",
        "Para usar CIFAR-10 sin red, pon cifar-10-python.tar.gz (o su carpeta extraída cifar-10-batches-py) en "
        "{root}/, o entrena con una carpeta de imágenes o un .zip (train/<clase>/… y test/<clase>/…), o con el "
        "conjunto incluido Shapes-10 (data 'builtin')."),
    "data.download_failed": ("CIFAR-10 could not be downloaded ({reason}). {help}",
                             "No se pudo descargar CIFAR-10 ({reason}). {help}"),
    "data.cifar10_damaged": ("CIFAR-10 in {root}/ is missing or damaged ({reason}). Delete the broken files and try "
                             "again. {help}",
                             "CIFAR-10 en {root}/ falta o está dañado ({reason}). Borra los archivos dañados y "
                             "vuelve a intentarlo. {help}"),
    "data.unsafe_path": ("{name} holds an unsafe path {member} (absolute, or escaping with '..'): it was not read. "
                         "Make the zip from the data folder itself.",
                         "{name} contiene una ruta insegura, {member} (absoluta, o que sale de la carpeta con '..'): "
                         "no se ha leído. Haz el zip desde la propia carpeta de datos."),
    "data.too_many_files": ("{name} holds {files:,} files; the limit is {limit:,}.",
                            "{name} contiene {files:,} archivos; el límite es {limit:,}."),
    "data.zip_bomb_file": ("{name} is a zip bomb: {file} unpacks to {size} from {packed} packed, where an image is at "
                           "most {limit} and hardly compresses. Nothing was unpacked.",
                           "{name} es una bomba zip: {file} ocupa {size} descomprimido a partir de {packed} "
                           "comprimido, cuando una imagen ocupa como mucho {limit} y apenas se comprime. No se ha "
                           "descomprimido nada."),
    "data.largest": (" (the largest file, {file}, {size})", " (el archivo más grande, {file}, {size})"),
    "data.too_big": ("{name} unpacks to {total}{largest}; the limit is {limit}. Nothing was unpacked.",
                     "{name} ocupa {total} descomprimido{largest}; el límite es {limit}. No se ha descomprimido "
                     "nada."),
    "data.zip_bomb": ("{name} is a zip bomb: it unpacks to {total} from {packed} packed{largest}, more than {ratio} "
                      "times its size, which image files never do. Nothing was unpacked.",
                      "{name} es una bomba zip: ocupa {total} descomprimido a partir de {packed} comprimido{largest}, "
                      "más de {ratio} veces su tamaño, algo que los archivos de imagen nunca hacen. No se ha "
                      "descomprimido nada."),
    "data.not_a_zip": ("{name} is not a readable .zip ({reason}).", "{name} no es un .zip legible ({reason})."),
    "data.entry_unreadable": ("the zip entry cannot be unpacked", "no se puede descomprimir la entrada del zip"),
    "data.folder_too_many": ("{name} holds over {limit:,} files; that is the limit.",
                             "{name} contiene más de {limit:,} archivos, que es el límite."),
    "data.skipped_big": (" ({files} file(s) over {size} were skipped)",
                         " (se omitieron {files} archivo(s) de más de {size})"),
    "data.two_classes": ("{name} needs at least two class folders (found {found}){skipped}: lay it out as "
                         "train/<class>/… and test/<class>/…, or <class>/… with one folder per class.",
                         "{name} necesita al menos dos carpetas de clase (tiene {found}){skipped}: organízalo como "
                         "train/<clase>/… y test/<clase>/…, o como <clase>/… con una carpeta por clase."),
    "data.too_many_classes": ("{name} has {classes:,} class folders; the limit is {limit:,}.",
                              "{name} tiene {classes:,} carpetas de clase; el límite es {limit:,}."),
    "data.bad_class_name": ("{name} has a class folder named {folder}: a class name is 1 to {limit} characters, not "
                            "only spaces.",
                            "{name} tiene una carpeta de clase llamada {folder}: el nombre de una clase tiene de 1 a "
                            "{limit} caracteres, y no solo espacios."),
    "data.missing": ("{path} does not exist. Give an image folder or a .zip of one.",
                     "{path} no existe. Indica una carpeta de imágenes o un .zip de una."),
    "data.and_more": ("{listed} and {more} more", "{listed} y {more} más"),
    "data.empty_classes": ("Class folder(s) {listed} in {name} hold no readable image: add images or remove the "
                           "folder.",
                           "La(s) carpeta(s) de clase {listed} de {name} no contienen ninguna imagen legible: añade "
                           "imágenes o quita la carpeta."),
    "data.skipped": ("Skipped {files} file(s) that are not readable images: {parts}.",
                     "Se omitieron {files} archivo(s) que no son imágenes legibles: {parts}."),
    "data.skipped_other": ("{files} not images (or outside a class folder)",
                           "{files} que no son imágenes (o están fuera de una carpeta de clase)"),
    "data.skipped_unreadable": ("{files} unreadable", "{files} ilegibles"),
    "data.skipped_too_big": ("{files} too large (over {size} or {megapixels:.0f} million pixels)",
                             "{files} demasiado grandes (más de {size} o de {megapixels:.0f} millones de píxeles)"),

    # --- cnnlib.runfile and cnnlib.checkpoints: saved runs --------------------------------------------
    "runfile.wrong": ("run.json's '{field}' is {value}, but {allowed}.",
                      "'{field}' en run.json vale {value}, pero {allowed}."),
    "runfile.list_of": ("a list of {n}", "una lista de {n}"),
    "runfile.mapping_of": ("a mapping of {n}", "un diccionario de {n}"),
    "runfile.one_of": ("it must be one of {choices}", "debe ser uno de estos: {choices}"),
    "runfile.text": ("it must be text", "debe ser texto"),
    "runfile.number_from_to": ("it must be a number from {lo:g} to {hi:g}", "debe ser un número de {lo:g} a {hi:g}"),
    "runfile.whole_from_to": ("it must be a whole number from {lo:g} to {hi:g}",
                              "debe ser un número entero de {lo:g} a {hi:g}"),
    "runfile.classes": ("it must be a list of 2 to {most} different class names, each text of 1 to {length} "
                        "characters",
                        "debe ser una lista de 2 a {most} nombres de clase distintos, cada uno un texto de 1 a "
                        "{length} caracteres"),
    "runfile.twice": ("each name must be different ({name} is there twice)",
                      "cada nombre debe ser distinto ({name} aparece dos veces)"),
    "runfile.config": ("it must be a mapping of training settings",
                       "debe ser un diccionario de ajustes de entrenamiento"),
    "runfile.bad_config": ("run.json's 'config' is not one CNN Lab can use: {problems}",
                           "el 'config' de run.json no es uno que CNN Lab pueda usar: {problems}"),
    "runfile.records": ("it must be a list of at most {most:,} records, each with {fields}",
                        "debe ser una lista de como mucho {most:,} registros, cada uno con {fields}"),
    "runfile.missing_field": ("it has no '{name}' ({what})", "le falta '{name}' ({what})"),
    "runfile.stats": ("it must be 3 numbers from {lo:g} to 1 (one per colour channel), as the mean and std go "
                      "together",
                      "debe ser 3 números de {lo:g} a 1 (uno por canal de color), porque la media (mean) y la "
                      "desviación típica (std) van juntas"),
    "runfile.per_class": ("it must map at most {most} class names to accuracies from 0 to 1",
                          "debe asignar a como mucho {most} nombres de clase una precisión de 0 a 1"),
    "runfile.versions": ("it must map at most 50 library names to version text",
                         "debe asignar a como mucho 50 nombres de biblioteca un texto de versión"),
    "runfile.too_big": ("{where}: run.json is {mb:.1f} MB; a run's run.json is at most {limit:.0f} MB.",
                        "{where}: run.json ocupa {mb:.1f} MB; el run.json de una ejecución ocupa como mucho "
                        "{limit:.0f} MB."),
    "runfile.unreadable": ("{where}: run.json cannot be read ({reason}).",
                           "{where}: no se puede leer run.json ({reason})."),
    "runfile.bad_json": ("{where}: run.json is not valid JSON ({reason}).",
                         "{where}: run.json no es JSON válido ({reason})."),
    "runfile.not_a_run": ("{where} is not a CNN Lab run (its run.json has no '{format}' format tag).",
                          "{where} no es una ejecución de CNN Lab (su run.json no tiene la etiqueta de formato "
                          "'{format}')."),
    "runfile.at": ("{where}: {problem}", "{where}: {problem}"),
    "runfile.image_size": ("{where}: run.json's 'image_size' is {size}: {problem}",
                           "{where}: 'image_size' en run.json vale {size}: {problem}"),
    "runfile.not_loaded": ("{where}: {problem} It was not loaded.", "{where}: {problem} No se ha cargado."),
    "checkpoints.weights_too_big": (
        "{where}: weights.pt is {mb:,.1f} MB, but the weights of a '{model}' network for {classes} classes take at "
        "most {limit:,.1f} MB: it holds something else, and was not read.",
        "{where}: weights.pt ocupa {mb:,.1f} MB, pero los pesos de una red '{model}' para {classes} clases ocupan "
        "como mucho {limit:,.1f} MB: contiene otra cosa, y no se ha leído."),
    "checkpoints.not_torch_save": (
        "{where}: the weights file is damaged or not plain weights (not the format torch.save writes); it was not "
        "loaded.",
        "{where}: el archivo de pesos está dañado o no contiene solo pesos (no tiene el formato que escribe "
        "torch.save); no se ha cargado."),
    "checkpoints.not_weights": ("{where}: the weights file is damaged or not plain weights ({kind}); it was not "
                                "loaded.",
                                "{where}: el archivo de pesos está dañado o no contiene solo pesos ({kind}); no se ha "
                                "cargado."),
    "checkpoints.no_state_dict": ("{where}: the weights file holds no state_dict of tensors.",
                                  "{where}: el archivo de pesos no contiene un state_dict de tensores."),
    "checkpoints.saved_on": (", saved {date}", ", guardada el {date}"),
    "checkpoints.do_not_fit": (
        "{where}: the weights do not fit a '{model}' network for {classes} classes ({detail}). If the run came from "
        "an older CNN Lab{saved}, its '{model}' may have had other layers: train it again with this version.",
        "{where}: los pesos no encajan en una red '{model}' para {classes} clases ({detail}). Si la ejecución viene "
        "de una versión anterior de CNN Lab{saved}, quizá su '{model}' tenía otras capas: vuelve a entrenarla con "
        "esta versión."),
    "checkpoints.not_saved_run": ("{where} is not a saved run: it needs {weights} and {meta} side by side.",
                                  "{where} no es una ejecución guardada: necesita {weights} y {meta} juntos."),
    "checkpoints.unreadable": ("{where} cannot be read ({reason}).", "No se puede leer {where} ({reason})."),
    "checkpoints.bundle_too_big": ("{name} is {mb:.0f} MB; a run file is at most {limit:.0f} MB.",
                                   "{name} ocupa {mb:.0f} MB; un archivo de ejecución ocupa como mucho "
                                   "{limit:.0f} MB."),
    "checkpoints.not_run_file": ("{name} is not a CNN Lab run file: it needs {meta} and {weights} inside.",
                                 "{name} no es un archivo de ejecución de CNN Lab: debe contener {meta} y {weights}."),
    "checkpoints.bundle_meta_too_big": ("{name}: its run.json is {mb:.1f} MB; a run's run.json is at most "
                                        "{limit:.0f} MB.",
                                        "{name}: su run.json ocupa {mb:.1f} MB; el run.json de una ejecución ocupa "
                                        "como mucho {limit:.0f} MB."),
    "checkpoints.not_a_zip": ("{name} is not a CNN Lab run file (not a readable .zip). Download one from the Runs "
                              "page.",
                              "{name} no es un archivo de ejecución de CNN Lab (no es un .zip legible). Descarga uno "
                              "desde la página Ejecuciones."),
    "runs.half": ("{name} has {there} but no {missing} beside it.", "{name} tiene {there}, pero no {missing} al lado."),
    "runs.label": ("{name} · {state} · best {best:.0f} % · {created}",
                   "{name} · {state} · mejor {best:.0f} % · {created}"),
    "runs.unnamed": ("run", "ejecución"),
    "runs.default_name": ("{model} on {data}", "{model} en {data}"),

    # --- cnnlib.runner and cnnlib.session: a run in the background ------------------------------------
    "state.idle": ("idle", "sin empezar"),
    "state.waiting": ("waiting", "en espera"),
    "state.loading": ("loading", "cargando"),
    "state.running": ("running", "entrenando"),
    "state.paused": ("paused", "en pausa"),
    "state.finished": ("finished", "terminada"),
    "state.stopped": ("stopped", "detenida"),
    "state.diverged": ("diverged", "divergente"),
    "state.failed": ("failed", "fallida"),
    "runner.keep": ("Download the run below to keep it.", "Descarga la ejecución aquí abajo para conservarla."),
    "runner.an_error": ("an error", "un error"),
    "runner.write_failed": ("The run could not be written to the server's disk ({reason}). {keep}",
                            "No se pudo escribir la ejecución en el disco del servidor ({reason}). {keep}"),
    "runner.save_failed": ("The run could not be saved ({kind}). {keep}",
                           "No se pudo guardar la ejecución ({kind}). {keep}"),
    "runner.stopped_at": ("Stopped in epoch {epoch}, step {step}.", "Detenida en la época {epoch}, paso {step}."),
    "runner.slot_given": ("Paused for over {grace:.0f} s while others waited: the training slot went to the next in "
                          "line. Resume queues for a slot again.",
                          "En pausa más de {grace:.0f} s mientras otros esperaban: la plaza de entrenamiento pasó al "
                          "siguiente de la cola. Al reanudar, vuelve a esperar una plaza."),
    "runner.stopped_waiting": ("Stopped before a training slot was free.",
                               "Detenida antes de que quedara libre una plaza de entrenamiento."),
    "runner.limit": ("This server lets a run train for at most {minutes:g} minutes (its setting "
                     "CNNLAB_MAX_RUN_MINUTES).",
                     "Este servidor deja entrenar una ejecución como mucho {minutes:g} minutos (su ajuste "
                     "CNNLAB_MAX_RUN_MINUTES)."),
    "runner.failed": ("Training failed: {kind}: {error}", "El entrenamiento falló: {kind}: {error}"),
    "runner.nothing_trained": ("Nothing was trained, so nothing was saved.", "No se entrenó nada, así que no se "
                               "guardó nada."),
    "runner.waiting": ("Waiting for a free training slot on this server…",
                       "Esperando una plaza de entrenamiento libre en este servidor…"),
    "session.already_training": ("This session is already training: stop that run first.",
                                 "Esta sesión ya está entrenando: detén primero esa ejecución."),
    "session.waiting": ("Waiting for a free training slot…", "Esperando una plaza de entrenamiento libre…"),
    "session.loading": ("Loading the data…", "Cargando los datos…"),
    "session.paused": ("Paused", "En pausa"),
    "session.finished": ("Finished", "Terminada"),
    "session.stopped": ("Stopped before the first steps", "Detenida antes de los primeros pasos"),
    "session.diverged": ("Diverged in its first steps", "Divergió en sus primeros pasos"),
    "session.failed": ("Failed before training began", "Falló antes de empezar a entrenar"),
    "session.starting": ("Starting…", "Empezando…"),
    "session.eta": ("ETA {time} · ", "faltan {time} · "),
    "session.progress": ("Epoch {epoch}/{epochs} · step {step}/{steps} · {eta}{rate:,.0f} images/s",
                         "Época {epoch}/{epochs} · paso {step}/{steps} · {eta}{rate:,.0f} imágenes/s"),
    "session.best": ("Best test accuracy", "Mejor precisión de prueba"),
    "session.final": ("Final test accuracy", "Precisión de prueba final"),
    "session.epochs": ("Epochs", "Épocas"),
    "session.time": ("Training time", "Tiempo de entrenamiento"),
    "session.epochs_of": ("{done} of {total}", "{done} de {total}"),
    "percent": ("{value:.1f} %", "{value:.1f} %"),

    # --- cnnlib.inspection: how to read each view -----------------------------------------------------
    "explain.confusion": (
        "Each row is the true class of the test images and each column the class the network chose, so the "
        "diagonal counts the right answers. Bright cells off the diagonal show which classes the network mixes up, "
        "and in which direction.",
        "Cada fila es la clase real de las imágenes de prueba y cada columna la clase que eligió la red, así que la "
        "diagonal cuenta los aciertos. Las celdas intensas fuera de la diagonal muestran qué clases confunde la red, "
        "y en qué sentido."),
    "explain.per_class": (
        "The bar for a class is the share of its test images that the network labelled correctly. Classes with "
        "short bars are the hard ones: look at their mistakes to see why.",
        "La barra de una clase es la proporción de sus imágenes de prueba que la red etiquetó correctamente. Las "
        "clases con barras cortas son las difíciles: mira sus errores para ver por qué."),
    "explain.mistakes": (
        "These are test images the network got wrong, the most confident mistakes first. A confident mistake often "
        "shows a shortcut the network learned, such as judging by colour or background instead of shape.",
        "Estas son imágenes de prueba en las que la red se equivocó, primero los errores en los que estaba más "
        "segura. Un error muy seguro suele delatar un atajo que aprendió la red, como juzgar por el color o por el "
        "fondo en vez de por la forma."),
    "explain.feature_maps": (
        "Each small grey square is one channel of a convolution layer's output: bright where that filter found its "
        "pattern in the image, dark where it did not. Early layers respond to edges and colours; deeper layers are "
        "smaller and respond to larger, more abstract parts.",
        "Cada cuadrito gris es un canal de la salida de una capa de convolución: claro donde ese filtro encontró su "
        "patrón en la imagen y oscuro donde no. Las primeras capas responden a bordes y colores; las más profundas "
        "son más pequeñas y responden a partes más grandes y abstractas."),
    "explain.filters": (
        "These are the first layer's filters, the small weight patterns slid over every spot of the image, shown as "
        "colour patches. A filter answers strongly wherever the image looks like it, so you will often see edge "
        "detectors and colour blobs.",
        "Estos son los filtros de la primera capa, los pequeños patrones de pesos que se deslizan por cada punto de "
        "la imagen, mostrados como parches de color. Un filtro responde con fuerza allí donde la imagen se le "
        "parece, así que a menudo verás detectores de bordes y manchas de color."),
    "explain.filters_fitted": (
        "This network's first layer is not learned: its filters are set once from the training images so that "
        "neighbouring pixels and colours no longer echo each other (whitening), each twice, once negated. The "
        "layers after it learn from what it hands on.",
        "La primera capa de esta red no se aprende: sus filtros se calculan una sola vez a partir de las imágenes "
        "de entrenamiento para que los píxeles vecinos y los colores dejen de repetir la misma información "
        "(blanqueo, o whitening), cada uno dos veces, una de ellas con el signo cambiado. Las capas siguientes "
        "aprenden de lo que ella les pasa."),
    "explain.gradcam": (
        "Grad-CAM colours the parts of the image that pushed the network towards the chosen class: red is strong "
        "evidence, blue is none. If the heat sits on the background instead of the object, the network may be "
        "right for the wrong reason.",
        "Grad-CAM colorea las partes de la imagen que empujaron a la red hacia la clase elegida: el rojo es una "
        "evidencia fuerte y el azul, ninguna. Si el calor está en el fondo en lugar de en el objeto, puede que la "
        "red acierte por el motivo equivocado."),
    "explain.compare": (
        "The curves show each run's test accuracy and loss after every epoch, so you can see which settings learn "
        "faster and which overfit. The table lists only the settings that differ between the runs, next to their "
        "results.",
        "Las curvas muestran la precisión y la pérdida de prueba de cada ejecución tras cada época, para que veas "
        "qué ajustes aprenden más rápido y cuáles sobreajustan. La tabla muestra solo los ajustes que cambian de "
        "una ejecución a otra, junto a sus resultados."),

    # --- cnnlib.plots and cnnlib.evalplots: the figures ----------------------------------------------
    "plots.train": ("train", "entrenamiento"),
    "plots.test": ("test", "prueba"),
    "plots.images": ("images", "imágenes"),
    "plots.images_per_class": ("Images per class", "Imágenes por clase"),
    "plots.reference_cifar10": ("Show the tutorial's test accuracy on CIFAR-10 (dashed)",
                                "Mostrar la precisión de prueba del tutorial en CIFAR-10 (discontinua)"),
    "plots.reference_other": ("Show the tutorial's test accuracy (dashed): it was measured on CIFAR-10, not on {data}",
                              "Mostrar la precisión de prueba del tutorial (discontinua): se midió en CIFAR-10, no "
                              "en {data}"),
    "plots.training_loss_title": ("Training loss", "Pérdida de entrenamiento"),
    "plots.accuracy_title": ("Accuracy (%)", "Precisión (%)"),
    "plots.training_loss": ("training loss", "pérdida de entrenamiento"),
    "plots.train_accuracy": ("train accuracy", "precisión de entrenamiento"),
    "plots.test_accuracy": ("test accuracy", "precisión de prueba"),
    "plots.test_within_epoch": ("test accuracy (within epoch)", "precisión de prueba (dentro de la época)"),
    "plots.tutorial": ("tutorial (CIFAR-10)", "tutorial (CIFAR-10)"),
    "plots.reached": ("{target:.0%} reached", "{target:.0%} alcanzado"),
    "plots.reached_after": ("the tutorial's {target:.0%} after {seconds:.1f} s",
                            "el {target:.0%} del tutorial tras {seconds:.1f} s"),
    "plots.change": ("lr {lr:g}, momentum {momentum:g}", "lr {lr:g}, momento {momentum:g}"),
    "plots.epoch": ("epoch", "época"),
    "plots.probability": ("probability (%)", "probabilidad (%)"),
    "plots.hover_confusion": ("true %{{y}}<br>predicted %{{x}}<br>%{{text}}<extra></extra>",
                              "real %{{y}}<br>predicha %{{x}}<br>%{{text}}<extra></extra>"),
    "plots.share_of_row": ("share of row", "proporción de la fila"),
    "plots.confusion": ("Confusion matrix", "Matriz de confusión"),
    "plots.confusion_rows": ("Confusion matrix (each row sums to 100 %)", "Matriz de confusión (cada fila suma 100 %)"),
    "plots.predicted_class": ("predicted class", "clase predicha"),
    "plots.true_class": ("true class", "clase real"),
    "plots.no_images": ("no images", "sin imágenes"),
    "plots.overall": ("overall {accuracy:.1%}", "global {accuracy:.1%}"),
    "plots.per_class": ("Accuracy per class", "Precisión por clase"),
    "plots.run_number": ("run {n}", "ejecución {n}"),
    "plots.test_accuracy_title": ("Test accuracy", "Precisión de prueba"),
    "plots.test_loss_title": ("Test loss", "Pérdida de prueba"),
    "plots.training_suffix": ("{run} (training)", "{run} (entrenamiento)"),
    "table.run": ("run", "ejecución"),
    "table.dataset": ("dataset", "datos"),
    "table.state": ("state", "estado"),
    "table.epochs": ("epochs", "épocas"),
    "table.best": ("best acc", "mejor precisión"),
    "table.final": ("final acc", "precisión final"),
    "table.seconds": ("seconds", "segundos"),
    "table.changes": ("changes", "cambios"),

    # --- cnnlib.predictor and cnnlib.links ------------------------------------------------------------
    "predictor.classes": ("This model knows {known} classes ({classes}), but {data} has {has} ({data_classes}). "
                          "Choose {where} in the sidebar, or another model.",
                          "Este modelo conoce {known} clases ({classes}), pero {data} tiene {has} ({data_classes}). "
                          "Elige {where} en la barra lateral, u otro modelo."),
    "predictor.where_cifar10": ("CIFAR-10 (if the sidebar does not offer it, get it onto this server on the Home page)",
                                "CIFAR-10 (si la barra lateral no lo ofrece, consíguelo para este servidor en la "
                                "página Inicio)"),
    "predictor.where_own": ("the data set it was trained on", "el conjunto de datos con el que se entrenó"),
    "predictor.size": ("This model reads {size}×{size} images, but {data}'s are {has}×{has}.",
                       "Este modelo lee imágenes de {size}×{size}, pero las de {data} son de {has}×{has}."),
    "links.kind.bool": ("true or false", "verdadero o falso (true o false)"),
    "links.kind.int": ("a whole number", "un número entero"),
    "links.kind.float": ("a number", "un número"),
    "links.kind.str": ("text", "texto"),
    "links.not_kind": ("{name}={text} in the link is not {kind}: left out.",
                       "{name}={text} en el enlace no es {kind}: se ha omitido."),
    "links.left_out": ("{problem} It was left out of the link's setup.",
                       "{problem} Se ha dejado fuera de la configuración del enlace."),
    "links.unknown_names": ("{names}: not {what} CNN Lab knows, left out of the link.",
                            "{names}: no son {what} que CNN Lab conozca; se han omitido del enlace."),
    "links.what.settings": ("settings", "ajustes"),
    "links.what.pages": ("pages", "páginas"),
    "links.what.presets": ("presets", "recetas"),
    "links.bad_data": ("data={data} in the link is not a data set it can name ({choices}): left out.",
                       "data={data} en el enlace no es un conjunto de datos que pueda nombrar ({choices}): se ha "
                       "omitido."),
    "links.bad_preset": ("preset={name} in the link is not one of {choices}: left out.",
                         "preset={name} en el enlace no es ninguna de estas: {choices}; se ha omitido."),
    "links.bad_lang": ("lang={lang} in the link is not a language CNN Lab speaks ({choices}): left out.",
                       "lang={lang} en el enlace no es un idioma que CNN Lab hable ({choices}): se ha omitido."),
    "links.unknown_key": ("{key} in the link is not a setting CNN Lab knows: left out.",
                          "{key} en el enlace no es un ajuste que CNN Lab conozca: se ha omitido."),
    "links.preset_not_offered": ("preset={name} is not among the presets the link offers ({offered}): {first} is "
                                 "used.",
                                 "preset={name} no está entre las recetas que ofrece el enlace ({offered}): se usa "
                                 "{first}."),
}

# The names cnnlib gives things that a page shows (a data set's name, kept in caches and run.json as
# English): said in the reader's language wherever they appear.
NAMES: dict[str, str] = {"Shapes-10 (built in)": "dataset.builtin", "CIFAR-10 (compact copy)": "dataset.compact"}

WORDS: dict[str, dict[str, str]] = {key: {"en": en, "es": es} for key, (en, es) in _CATALOGUE.items()}
