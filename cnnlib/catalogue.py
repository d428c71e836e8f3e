"""The catalogue of every word CNN Lab shows: a key -> (English, Spanish), with str.format placeholders,
the same ones in both languages (tests/test_words.py checks). cnnlib.words says them; pages ask for them
by key (ui.browser.t), and cnnlib hands them up as words.Messages.

Keys are grouped by where the words are shown or made: cnnlib's modules first (their errors and notes),
then the app (the ui package, each page). The Spanish uses the tutorial's terms: época, lote, tasa de aprendizaje,
pérdida, precisión (accuracy), conjunto de entrenamiento / de prueba, capa, filtro, red neuronal
convolucional; "ejecución" is a run, "receta" a preset. Numeric precision (fp32, bf16) is "formato
numérico", so that "precisión" always means accuracy.
"""

CATALOGUE: dict[str, tuple[str, str]] = {
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
    "config.shrink_to": ("0 (never) or at least {least} pixels: this network halves the images that many times over",
                         "0 (nunca) o al menos {least} píxeles: esta red reduce las imágenes a la mitad tantas "
                         "veces"),
    "config.shrink_for": ("with shrink_to={size}, the share of the steps that see the smaller images, above 0 "
                          "and at most 1 (or set shrink_to to 0 to train on full-size images throughout)",
                          "con shrink_to={size}, la parte de los pasos que ven las imágenes más pequeñas, mayor "
                          "que 0 y como mucho 1 (o pon shrink_to a 0 para entrenar siempre con imágenes de tamaño "
                          "completo)"),
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
        "The tutorial's 57% in about 5 seconds of training on a 2-core CPU: the quick batch-norm CNN (a whitening "
        "first layer that halves the image, then 16-32-64 with one conv each), one epoch, batch 128, one-cycle "
        "Nesterov SGD, label smoothing 0.2, flips and 4-pixel crops, a test check every 50 steps.",
        "El 57 % del tutorial en unos 5 segundos de entrenamiento en una CPU de 2 núcleos: la CNN rápida con "
        "normalización por lotes (una primera capa de blanqueo que reduce la imagen a la mitad, y luego 16-32-64 con "
        "una convolución cada una), una época, lotes de 128, SGD de un ciclo con Nesterov, suavizado de etiquetas "
        "0.2, volteos y recortes de 4 píxeles, y una prueba cada 50 pasos."),
    "preset.cpu-5min": (
        "85% about five minutes after Start on a 2-core CPU, tests included: the small batch-norm CNN (32-64-128), 9 "
        "epochs, batch 256, one-cycle Nesterov SGD, label smoothing 0.2, flips and crops; after each epoch a quick "
        "test of 2,000 test images, and at the end all of them, each with its mirror and one-pixel shifts of both. "
        "(On a CPU with fast bf16 matrix work, AMX on Intel's Xeons or AVX-512 bf16 on AMD's, 11 epochs in bf16: "
        "85.8% in 3 to 5 minutes.)",
        "Un 85 % unos cinco minutos después de Iniciar en una CPU de 2 núcleos, pruebas incluidas: la CNN pequeña "
        "con normalización por lotes (32-64-128), 9 épocas, lotes de 256, SGD de un ciclo con Nesterov, suavizado "
        "de etiquetas 0.2, volteos y recortes; tras cada época una prueba rápida con 2.000 imágenes de prueba, y al "
        "final con todas, cada una con su reflejo y ambas desplazadas un píxel. (En una CPU con cálculo matricial "
        "bf16 rápido, AMX en los Xeon de Intel o AVX-512 bf16 en los de AMD, 11 épocas en bf16: un 85,8 % en 3 a 5 "
        "minutos.)"),
    "preset.cpu-5min.bf16": (
        "85% within five minutes of Start on a 2-core CPU, tests included. This CPU has fast bf16 matrix work "
        "(AMX on Intel's Xeons, AVX-512 bf16 on AMD's), so: 3 to 5 minutes. The small batch-norm CNN (32-64-128), "
        "11 epochs in bf16 autocast, batch 256, one-cycle Nesterov SGD, label smoothing 0.2, flips and crops; after "
        "each epoch a quick test of 2,000 test images, and at the end all of them, each with its mirror and "
        "one-pixel shifts of both. (On a CPU without fast bf16: 9 epochs in fp32, about five minutes.)",
        "Un 85 % en menos de cinco minutos desde Iniciar en una CPU de 2 núcleos, pruebas incluidas. Esta CPU tiene "
        "cálculo matricial bf16 rápido (AMX en los Xeon de Intel, AVX-512 bf16 en los de AMD), así que: de 3 a 5 "
        "minutos. La CNN pequeña con normalización por lotes (32-64-128), 11 épocas con autocast bf16, lotes de 256, "
        "SGD de un ciclo con Nesterov, suavizado de etiquetas 0.2, volteos y recortes; tras cada época una prueba "
        "rápida con 2.000 imágenes de prueba, y al final con todas, cada una con su reflejo y ambas desplazadas un "
        "píxel. (En una CPU sin bf16 rápido: 9 épocas en fp32, unos cinco minutos.)"),
    "preset.cpu-15min": (
        "The most a 2-core CPU reaches in 15 minutes from Start, tests included: 88%, not yet the 90% we aim "
        "for. The cpu-5min recipe for 28 epochs: the small batch-norm CNN (32-64-128), batch 256, one-cycle "
        "Nesterov SGD, label smoothing 0.2, flips and crops, a quick test of 2,000 images after each epoch and all "
        "of them with six views at the end. (On a CPU with fast bf16 matrix work, AMX on Intel's Xeons or AVX-512 "
        "bf16 on AMD's, cpu-15min takes gpu-speedrun's recipe instead: 90%.)",
        "Lo máximo que alcanza una CPU de 2 núcleos en 15 minutos desde Iniciar, pruebas incluidas: un 88 %, aún "
        "no el 90 % que buscamos. La receta de cpu-5min durante 28 épocas: la CNN pequeña con normalización por "
        "lotes (32-64-128), lotes de 256, SGD de un ciclo con Nesterov, suavizado de etiquetas 0.2, volteos y "
        "recortes, una prueba rápida con 2.000 imágenes tras cada época y con todas y seis vistas al final. (En "
        "una CPU con cálculo matricial bf16 rápido, AMX en los Xeon de Intel o AVX-512 bf16 en los de AMD, cpu-15min "
        "toma en su lugar la receta de gpu-speedrun: un 90 %.)"),
    "preset.cpu-15min.bf16": (
        "The most a 2-core CPU reaches in 15 minutes from Start, tests included. This CPU has fast bf16 matrix "
        "work (AMX on Intel's Xeons, AVX-512 bf16 on AMD's), so: 90%, in about 10 to 15 minutes. gpu-speedrun's "
        "recipe at batch 256: the wider batch-norm CNN with a whitening first layer, 9 epochs (the first 30% of the "
        "steps on images shrunk to 24 pixels), bf16 autocast, one-cycle Nesterov SGD with Lookahead, label "
        "smoothing, alternating flips and 2-pixel crops, a quick test of 2,000 images after each epoch and all of "
        "them with six views at the end. (On a CPU without fast bf16, cpu-15min trains the small CNN for 28 "
        "epochs instead: 88%.)",
        "Lo máximo que alcanza una CPU de 2 núcleos en 15 minutos desde Iniciar, pruebas incluidas. Esta CPU tiene "
        "cálculo matricial bf16 rápido (AMX en los Xeon de Intel, AVX-512 bf16 en los de AMD), así que: un 90 %, en "
        "unos 10 a 15 minutos. La receta de "
        "gpu-speedrun con lotes de 256: la CNN más ancha con normalización por lotes y una primera capa de blanqueo "
        "(whitening), 9 épocas (el primer 30 % de los pasos con imágenes reducidas a 24 píxeles), autocast bf16, "
        "SGD de un ciclo con Nesterov y Lookahead, suavizado de etiquetas, volteos alternos y recortes de 2 píxeles, "
        "una prueba rápida con 2.000 imágenes tras cada época y con todas y seis vistas al final. (En una CPU sin bf16 "
        "rápido, cpu-15min entrena en su lugar la CNN pequeña durante 28 épocas: un 88 %.)"),
    "preset.cpu-15min.bf16-half": (
        "The most a 2-core CPU reaches in 15 minutes from Start, tests included. This CPU has fast bf16 matrix "
        "work but does its AVX-512 work in two halves (AMD's Zen 4), so: 90%, in about 14 minutes. "
        "gpu-speedrun's recipe at batch 256: the wider batch-norm CNN with a whitening first layer, 9 epochs (the "
        "first half of the steps on images shrunk to 24 pixels), bf16 autocast, one-cycle Nesterov SGD with "
        "Lookahead, label smoothing, alternating flips and 2-pixel crops, a quick test of 2,000 images after each "
        "epoch and all of them with six views at the end. (Shrinking only the first 30% of the steps, as on CPUs "
        "that do AVX-512 work whole, reaches 90.3% but takes 16 minutes here.)",
        "Lo máximo que alcanza una CPU de 2 núcleos en 15 minutos desde Iniciar, pruebas incluidas. Esta CPU tiene "
        "cálculo matricial bf16 rápido pero hace el trabajo AVX-512 en dos mitades (Zen 4 de AMD), así que: un "
        "90 %, en unos 14 minutos. La receta de gpu-speedrun con lotes de 256: la CNN más "
        "ancha con normalización por lotes y una primera capa de blanqueo (whitening), 9 épocas (la primera mitad de "
        "los pasos con imágenes reducidas a 24 píxeles), autocast bf16, SGD de un ciclo con Nesterov y Lookahead, "
        "suavizado de etiquetas, volteos alternos y recortes de 2 píxeles, una prueba rápida con 2.000 imágenes "
        "tras cada época y con todas y seis vistas al final. (Reduciendo las imágenes solo en el primer 30 % de los "
        "pasos, como en las CPU que hacen el trabajo AVX-512 entero, se alcanza un 90,3 %, pero aquí se tarda 16 "
        "minutos.)"),
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
    "arch.small": ("Tiny batch-norm CNN (16-32-64), two convs per block: fast to train on a CPU.",
                   "CNN diminuta con normalización por lotes (16-32-64), dos convoluciones por bloque: rápida de "
                   "entrenar en una CPU."),
    "arch.quick": ("Quickest batch-norm CNN (16-32-64, one conv per block) after a whitening layer that halves the "
                   "image: the tutorial's 57% in a few seconds on a CPU.",
                   "La CNN más rápida, con normalización por lotes (16-32-64, una convolución por bloque), tras una "
                   "capa de blanqueo que reduce la imagen a la mitad: el 57 % del tutorial en pocos segundos en una "
                   "CPU."),
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
    "train.no_shrink": (
        "shrink_to={shrink_to} is not smaller than these images ({size}×{size}): every step trains on them at full "
        "size. Set it below {size} to start on smaller images, or to 0.",
        "shrink_to={shrink_to} no es menor que estas imágenes ({size}×{size}): cada paso entrena con ellas a tamaño "
        "completo. Ponlo por debajo de {size} para empezar con imágenes más pequeñas, o a 0."),
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

    # --- cnnlib.images and cnnlib.inference: one image ------------------------------------------------
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

    # the classes of the built-in data sets, as a page shows them (class_name)
    "class.airplane": ("airplane", "avión"),
    "class.automobile": ("automobile", "automóvil"),
    "class.bird": ("bird", "pájaro"),
    "class.cat": ("cat", "gato"),
    "class.deer": ("deer", "ciervo"),
    "class.dog": ("dog", "perro"),
    "class.frog": ("frog", "rana"),
    "class.horse": ("horse", "caballo"),
    "class.ship": ("ship", "barco"),
    "class.truck": ("truck", "camión"),
    "class.disc": ("disc", "disco"),
    "class.square": ("square", "cuadrado"),
    "class.triangle": ("triangle", "triángulo"),
    "class.ring": ("ring", "anillo"),
    "class.plus": ("plus", "cruz"),
    "class.stripes": ("stripes", "rayas"),
    "class.checker": ("checker", "damero"),
    "class.star": ("star", "estrella"),
    "class.crescent": ("crescent", "media luna"),
    "class.pair": ("pair", "pareja"),

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
    "runfile.records": ("it must be a list of at most {most:,} records, each with {fields} (and, optionally, "
                        "{optional})",
                        "debe ser una lista de como mucho {most:,} registros, cada uno con {fields} (y, opcionalmente, "
                        "{optional})"),
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

    # --- cnnlib.store: runs kept in object storage (CNNLAB_RUNS=s3://…) --------------------------------
    "store.kept_here": ("The runs store ({where}) cannot be used: {problem}. Nothing is lost: runs saved meanwhile "
                        "({n} now) are kept on this server only, listed as usual, and sent to the store as soon as "
                        "it answers. Until then a restart of the server would lose them: download any you need.",
                        "No se puede usar el almacén de ejecuciones ({where}): {problem}. No se pierde nada: las "
                        "ejecuciones guardadas mientras tanto ({n} ahora) se conservan solo en este servidor, "
                        "aparecen en la lista como siempre y se envían al almacén en cuanto responda. Hasta entonces, "
                        "un reinicio del servidor las perdería: descarga las que necesites."),
    "store.unreachable": ("it does not answer ({detail})", "no responde ({detail})"),
    "store.denied": ("it refuses access: check the key and secret (the runs_storage secrets, or AWS_ACCESS_KEY_ID "
                     "and AWS_SECRET_ACCESS_KEY) ({detail})",
                     "no permite el acceso: revisa la clave y el secreto (los secretos de runs_storage, o "
                     "AWS_ACCESS_KEY_ID y AWS_SECRET_ACCESS_KEY) ({detail})"),
    "store.no_bucket": ("its bucket does not exist ({detail})", "su bucket no existe ({detail})"),
    "store.needs_package": ("this server lacks the Python package {package}: add {package} to requirements.txt, "
                            "or run pip install {package}",
                            "a este servidor le falta el paquete de Python {package}: añade {package} a "
                            "requirements.txt, o ejecuta pip install {package}"),
    "store.bad_options": ("{var} must be a JSON object of storage options ({detail})",
                          "{var} debe ser un objeto JSON con las opciones del almacén ({detail})"),
    "store.unknown_kind": ("CNNLAB_RUNS names a kind of storage that is not known ({protocol}://); use s3:// for "
                           "S3 or any S3-compatible store",
                           "CNNLAB_RUNS nombra un tipo de almacén que no se conoce ({protocol}://); usa s3:// para S3 "
                           "o cualquier almacén compatible con S3"),

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
    "session.on_sample": ("{value} (a quick test of {n:,} images)", "{value} (prueba rápida con {n:,} imágenes)"),
    "percent": ("{value:.1f} %", "{value:.1f} %"),

    # --- the app: the pages' names and the ui package's shared widgets -------------------------------
    "page.home": ("Home", "Inicio"),
    "page.data": ("Data", "Datos"),
    "page.train": ("Train", "Entrenar"),
    "page.predict": ("Predict", "Predecir"),
    "page.evaluate": ("Evaluate", "Evaluar"),
    "page.inspect": ("Inspect", "Inspeccionar"),
    "page.runs": ("Runs & compare", "Ejecuciones y comparación"),
    "ui.language": ("Language · Idioma", "Idioma · Language"),
    "ui.uploader_button": ("Upload", "Subir"),
    "ui.choose": ("Choose options", "Elige opciones"),
    "ui.uploader_limit": ("{mb} MB per file", "{mb} MB por archivo como máximo"),
    "ui.loading_data": ("Loading the data set (once for the whole server)…",
                        "Cargando el conjunto de datos (una sola vez para todo el servidor)…"),
    "ui.loading_model": ("Loading the model…", "Cargando el modelo…"),
    "ui.testing_model": ("Testing the model on the test images…", "Probando el modelo con las imágenes de prueba…"),
    "ui.testing_images": ("Testing the model on {n:,} test images…",
                          "Probando el modelo con {n:,} imágenes de prueba…"),
    "ui.data_unusable": ("{data} cannot be used: {problem} Choose another data set in the sidebar.",
                         "No se puede usar {data}: {problem} Elige otro conjunto de datos en la barra lateral."),
    "ui.link_problems": ("Some of this link's settings could not be used, so they were left out:",
                         "Algunos ajustes de este enlace no se pudieron usar, así que se han omitido:"),
    "ui.data_set": ("Data set", "Conjunto de datos"),
    "ui.data_set_help": ("What Data shows, Train trains on, and Evaluate and Inspect test with, in this browser "
                         "session.",
                         "Lo que muestra Datos, con lo que entrena Entrenar y con lo que prueban Evaluar e "
                         "Inspeccionar, en esta sesión del navegador."),
    "ui.slots": ("Training slots on this server: {used} of {limit} in use.",
                 "Plazas de entrenamiento en este servidor: {used} de {limit} ocupadas."),
    "ui.slots_waiting": ("Training slots on this server: {used} of {limit} in use, {waiting} waiting.",
                         "Plazas de entrenamiento en este servidor: {used} de {limit} ocupadas, {waiting} en espera."),
    "ui.queue": ("Every training slot on this server is busy{place}{wait}. Runs start in the order Start was pressed.",
                 "Todas las plazas de entrenamiento de este servidor están ocupadas{place}{wait}. Las ejecuciones "
                 "empiezan en el orden en que se pulsó Iniciar."),
    "ui.queue_next": (": this run is next in line", ": esta ejecución es la siguiente de la cola"),
    "ui.queue_number": (": this run is number {place} in line", ": esta ejecución es la número {place} de la cola"),
    "ui.queue_wait": (", expected to start in about {time}", ", y se espera que empiece dentro de unos {time}"),
    "ui.queue_no_estimate": (" (no run of this network has trained here yet, so the wait cannot be estimated)",
                             " (aún no se ha entrenado aquí ninguna ejecución de esta red, así que no se puede "
                             "estimar la espera)"),
    "ui.unsaved_kept": ("The run is kept in this browser session until the session ends. A downloaded run can be "
                        "added to a server again on Runs & compare.",
                        "La ejecución se conserva en esta sesión del navegador hasta que la sesión termine. Una "
                        "ejecución descargada se puede volver a añadir a un servidor en Ejecuciones y comparación."),
    "ui.download_unsaved": ("Download this run", "Descargar esta ejecución"),
    "ui.this_run_unsaved": ("This session's run (not saved)", "La ejecución de esta sesión (sin guardar)"),
    "ui.this_run_training": ("This session's run, after epoch {epoch} (still training)",
                             "La ejecución de esta sesión, tras la época {epoch} (aún entrenando)"),
    "ui.this_run_saved": ("This session's run · {label}", "La ejecución de esta sesión · {label}"),
    "ui.pretrained": ("pretrained: {name}", "preentrenado: {name}"),
    "ui.still_training": ("This session's run is still training: it is listed as it was at its last epoch end "
                          "(after the first epoch), and updated at each new one.",
                          "La ejecución de esta sesión aún está entrenando: aparece tal como estaba al final de su "
                          "última época (a partir de la primera) y se actualiza con cada nueva."),
    "ui.no_model": ("There is no trained model yet: train one on the Train page first (the *demo* preset takes about "
                    "a minute), and it will appear here.",
                    "Todavía no hay ningún modelo entrenado: entrena uno primero en la página Entrenar (la receta "
                    "*demo* tarda alrededor de un minuto) y aparecerá aquí."),
    "ui.go_to_train": ("Go to Train", "Ir a Entrenar"),
    "ui.model": ("Model", "Modelo"),
    "ui.model_help": ("This session's run, a pretrained model, or any run saved on this server.",
                      "La ejecución de esta sesión, un modelo preentrenado o cualquier ejecución guardada en este "
                      "servidor."),
    "ui.saved_run_unusable": ("That saved run cannot be used: {problem}",
                              "No se puede usar esa ejecución guardada: {problem}"),
    "ui.views": ("As in the run's own tests, each answer averages the network's outputs on {views} (test-time views).",
                 "Como en las pruebas de la propia ejecución, cada respuesta promedia las salidas de la red para "
                 "{views} (vistas en la prueba)."),
    "ui.misfit": ("{problem} {data} has {size}×{size} images: choose another model.",
                  "{problem} {data} tiene imágenes de {size}×{size}: elige otro modelo."),
    "ui.layers": ("**{model}**: {about} For {data} ({classes} classes, {size}×{size} images): **{total:,} "
                  "parameters** in these layers.",
                  "**{model}**: {about} Para {data} ({classes} clases, imágenes de {size}×{size}): **{total:,} "
                  "parámetros** en estas capas."),
    "ui.layers_learned": ("**{model}**: {about} For {data} ({classes} classes, {size}×{size} images): **{total:,} "
                          "parameters** in these layers, **{learned:,}** of them learned (the rest stay as they "
                          "start).",
                          "**{model}**: {about} Para {data} ({classes} clases, imágenes de {size}×{size}): "
                          "**{total:,} parámetros** en estas capas, de los que **{learned:,}** se aprenden (el resto "
                          "se queda como empieza)."),
    "ui.column.layer": ("layer", "capa"),
    "ui.column.kind": ("kind", "tipo"),
    "ui.column.output_shape": ("output shape", "forma de la salida"),
    "ui.column.parameters": ("parameters", "parámetros"),
    "ui.column.learned": ("learned", "aprendidos"),
    "ui.what_for": ("\n\n**What for:** {why}", "\n\n**Para qué sirve:** {why}"),
    "ui.preset": ("Preset", "Receta"),
    "ui.preset_help": ("Sets every field below; the tutorial's exact recipe comes first.",
                       "Rellena todos los campos de abajo; la receta exacta del tutorial va primero."),
    "ui.no_gpu_one": ("This server has no GPU: on a 2-core CPU this recipe takes about {minutes:,} minute on {data}. "
                      "For a lesson, *fast-cpu* (seconds) or *cpu-5min* (minutes) fit the time.",
                      "Este servidor no tiene GPU: en una CPU de 2 núcleos esta receta tarda alrededor de {minutes:,} "
                      "minuto con {data}. Para una clase, *fast-cpu* (segundos) o *cpu-5min* (minutos) se ajustan "
                      "al tiempo."),
    "ui.no_gpu": ("This server has no GPU: on a 2-core CPU this recipe takes about {minutes:,} minutes on {data}. For "
                  "a lesson, *fast-cpu* (seconds) or *cpu-5min* (minutes) fit the time.",
                  "Este servidor no tiene GPU: en una CPU de 2 núcleos esta receta tarda unos {minutes:,} minutos con "
                  "{data}. Para una clase, *fast-cpu* (segundos) o *cpu-5min* (minutos) se ajustan al tiempo."),
    "ui.set_by_link": ("Set by the link this page was opened with{locked}{hidden}.",
                       "Fijado por el enlace con el que se abrió esta página{locked}{hidden}."),
    "ui.link_locked": (": {names} (shown, not to be changed)", ": {names} (se muestran, pero no se pueden cambiar)"),
    "ui.link_hidden_one": ("; {n} more setting fixed and not shown", "; {n} ajuste más, fijado y oculto"),
    "ui.link_hidden": ("; {n} more settings fixed and not shown", "; {n} ajustes más, fijados y ocultos"),
    "ui.share": ("Share this setup", "Compartir esta configuración"),
    "ui.share_caption": ("Whoever opens this link gets the same data set and settings (their own run, not yours).",
                         "Quien abra este enlace tendrá el mismo conjunto de datos y los mismos ajustes (en una "
                         "ejecución suya, no en la tuya)."),
    "ui.share_lock": ("Fix these settings (shown, not to be changed)",
                      "Fijar estos ajustes (se muestran, pero no se pueden cambiar)"),
    "ui.share_hide": ("Fix and hide these settings", "Fijar y ocultar estos ajustes"),
    "ui.share_pages": ("Show only these pages (all when empty)",
                       "Mostrar solo estas páginas (todas si no eliges ninguna)"),
    "ui.share_presets": ("Offer only these presets (all when empty)",
                         "Ofrecer solo estas recetas (todas si no eliges ninguna)"),

    "upload.unusable": ("{name} cannot be used: {problem}", "No se puede usar {name}: {problem}"),
    "file_problem": ("{name}: {problem}", "{name}: {problem}"),

    # --- pages/home.py --------------------------------------------------------------------------------
    "home.intro": (
        "Train a real convolutional neural network in your browser and watch it learn. CNN Lab starts from the "
        "classic PyTorch tutorial (a small CNN, SGD, ten epochs, 41 % after one epoch and 57 % after ten on "
        "CIFAR-10) and lets you change every part of it.\n\n"
        "**Where to start:** look at the images on **Data**, press *Start* on **Train** with the tutorial's recipe, "
        "then upload a photo on **Predict** to see what your network thinks.",
        "Entrena una red neuronal convolucional de verdad en tu navegador y observa cómo aprende. CNN Lab parte del "
        "clásico tutorial de PyTorch (una CNN pequeña, SGD, diez épocas, un 41 % de precisión tras una época y un "
        "57 % tras diez en CIFAR-10) y te deja cambiar cada una de sus partes.\n\n"
        "**Por dónde empezar:** mira las imágenes en **Datos**, pulsa *Iniciar* en **Entrenar** con la receta del "
        "tutorial y luego sube una foto en **Predecir** para ver qué piensa tu red."),
    "home.ready_original": ("CIFAR-10 is ready: the original files ({root}/).",
                            "CIFAR-10 está listo: los archivos originales ({root}/)."),
    "home.ready_compact": ("CIFAR-10 is ready: the compact copy that ships with CNN Lab, no download needed.",
                           "CIFAR-10 está listo: la copia compacta que viene con CNN Lab, sin necesidad de descargar "
                           "nada."),
    "home.compact_caption": (
        "Its images are JPEG-compressed, so a network scores about 3 points lower on it than on the original files. "
        "To use those, download them below (163 MB) or put `cifar-10-python.tar.gz` into `{root}/` on the server.",
        "Sus imágenes están comprimidas en JPEG, así que una red saca unos 3 puntos menos con ella que con los "
        "archivos originales. Para usar estos, descárgalos aquí abajo (163 MB) o pon `cifar-10-python.tar.gz` en "
        "`{root}/` en el servidor."),
    "home.absent": (
        "CIFAR-10 is not on this server yet, so CNN Lab uses **{data}** instead (Shapes-10 is CNN Lab's own offline "
        "set of ten shape classes: similar in spirit, but it is *not* CIFAR-10). To get CIFAR-10: download it below "
        "(163 MB), put `cifar-10-python.tar.gz` into `{root}/` on the server, or upload your own image-folder zip.",
        "CIFAR-10 aún no está en este servidor, así que CNN Lab usa **{data}** en su lugar (Shapes-10 es el "
        "conjunto propio de CNN Lab, sin conexión, con diez clases de formas: parecido en espíritu, pero *no* es "
        "CIFAR-10). Para conseguir CIFAR-10: descárgalo aquí abajo (163 MB), pon `cifar-10-python.tar.gz` en "
        "`{root}/` en el servidor o sube tu propio zip de carpetas de imágenes."),
    "home.download": ("Download CIFAR-10", "Descargar CIFAR-10"),
    "home.connecting": ("Connecting…", "Conectando…"),
    "home.own_images": (
        "**Your own images**: a `.zip` of `train/<class>/…` and `test/<class>/…`, or just `<class>/…` (10 % of each "
        "class is then kept for testing). {formats} images of up to {megapixels} megapixels.",
        "**Tus propias imágenes**: un `.zip` con `train/<clase>/…` y `test/<clase>/…`, o solo `<clase>/…` (entonces "
        "se reserva un 10 % de cada clase para la prueba). Imágenes {formats} de hasta {megapixels} megapíxeles."),
    "home.zip": ("Image-folder zip", "Zip de carpetas de imágenes"),
    "home.loaded": ("{name}: {classes} classes, {train:,} training and {test:,} test images.",
                    "{name}: {classes} clases, {train:,} imágenes de entrenamiento y {test:,} de prueba."),
    "home.in_use": ("In use now: **{data}** (change it in the sidebar).",
                    "En uso ahora: **{data}** (cámbialo en la barra lateral)."),

    # --- pages/data.py --------------------------------------------------------------------------------
    "data.caption": ("{data}: {train:,} training and {test:,} test images of {size}×{size} pixels, {classes} classes.",
                     "{data}: {train:,} imágenes de entrenamiento y {test:,} de prueba, de {size}×{size} píxeles, "
                     "{classes} clases."),
    "data.split": ("Split", "Conjunto"),
    "data.class": ("Class", "Clase"),
    "data.all_classes": ("all classes", "todas las clases"),
    "data.augmentation": ("Augmentation to show", "Aumento de datos que mostrar"),
    "data.augmentation_help": ("The training pipeline's random flips and 4-pixel crops, applied to this batch.",
                               "Los volteos aleatorios y los recortes de 4 píxeles del entrenamiento, aplicados a "
                               "este lote."),
    "data.next": ("Next batch", "Siguiente lote"),
    "data.shuffle": ("Shuffle", "Barajar"),
    "data.batch": ("Batch {number} of {batches} ({images} images, {order}).",
                   "Lote {number} de {batches} ({images} imágenes, {order})."),
    "data.shuffled": ("shuffled", "barajadas"),
    "data.stored_order": ("in stored order", "en el orden guardado"),
    "data.the_batch": ("**The batch**", "**El lote**"),
    "data.augmented": ("**The same images after `{mode}`**", "**Las mismas imágenes tras `{mode}`**"),

    # --- pages/train.py -------------------------------------------------------------------------------
    "train.settings": ("Settings", "Ajustes"),
    "train.start": ("Start", "Iniciar"),
    "train.pause": ("Pause", "Pausar"),
    "train.resume": ("Resume", "Reanudar"),
    "train.stop": ("Stop", "Detener"),
    "train.new": ("New run", "Nueva ejecución"),
    "train.change": ("Change the learning rate or momentum during the run",
                     "Cambiar la tasa de aprendizaje o el momento durante la ejecución"),
    "train.apply": ("Apply", "Aplicar"),
    "train.change_refused": ("{problem} The run goes on as it was.", "{problem} La ejecución sigue como estaba."),
    "train.changed": ("From the next step on: lr {lr:g}, momentum {momentum:g}.",
                      "A partir del siguiente paso: lr {lr:g}, momento {momentum:g}."),
    "train.choose": ("Choose a preset (the tutorial's recipe is first), change what you like, and press Start.",
                     "Elige una receta (la del tutorial es la primera), cambia lo que quieras y pulsa Iniciar."),
    "train.history_kept": ("{message} The history so far is kept above.",
                           "{message} El historial hasta este momento se conserva arriba."),
    "train.saving": ("Saving the run…", "Guardando la ejecución…"),
    "train.stopping": ("Stopping: the run ends after the step or test it is in, then it is saved…",
                       "Deteniendo: la ejecución termina tras el paso o la prueba en que está, y luego se guarda…"),
    "train.finished": ("Finished: {epochs} epochs on {data}.", "Terminada: {epochs} épocas con {data}."),
    "train.saved": ("Saved on this server as *{name}*: use it on Predict, Evaluate and Inspect, or download it from "
                    "Runs & compare.",
                    "Guardada en este servidor como *{name}*: úsala en Predecir, Evaluar e Inspeccionar, o descárgala "
                    "desde Ejecuciones y comparación."),

    # --- pages/predict.py, evaluate.py and inspect.py -------------------------------------------------
    # a model that cannot be used on the data set chosen (ui.models.mismatch, from inference.mismatch's reason)
    "mismatch.classes": ("This model knows {known} classes ({classes}), but {data} has {has} ({data_classes}). "
                         "Choose {where} in the sidebar, or another model.",
                         "Este modelo conoce {known} clases ({classes}), pero {data} tiene {has} ({data_classes}). "
                         "Elige {where} en la barra lateral, u otro modelo."),
    "mismatch.where_cifar10": ("CIFAR-10 (if the sidebar does not offer it, get it onto this server on the Home page)",
                               "CIFAR-10 (si la barra lateral no lo ofrece, consíguelo para este servidor en la "
                               "página Inicio)"),
    "mismatch.where_own": ("the data set it was trained on", "el conjunto de datos con el que se entrenó"),
    "mismatch.size": ("This model reads {size}×{size} images, but {data}'s are {has}×{has}.",
                      "Este modelo lee imágenes de {size}×{size}, pero las de {data} son de {has}×{has}."),
    "predict.how_many": ("How many classes to show", "Cuántas clases mostrar"),
    "predict.images": ("Images ({formats}; up to {megapixels} megapixels)",
                       "Imágenes ({formats}; hasta {megapixels} megapíxeles)"),
    "predict.upload": ("Upload one or more images. The network knows these classes: {classes}.",
                       "Sube una o más imágenes. La red conoce estas clases: {classes}."),
    "predict.most_likely": ("**{name}**: most likely **{label}** ({p:.0f} %)",
                            "**{name}**: lo más probable es **{label}** ({p:.0f} %)"),
    "predict.as_uploaded": ("as uploaded ({width}×{height})", "tal como se subió ({width}×{height})"),
    "predict.sees": ("what the network sees ({size}×{size})", "lo que ve la red ({size}×{size})"),
    "eval.mistakes": ("Mistakes", "Errores"),
    "eval.of": ("{n:,} of {total:,}", "{n:,} de {total:,}"),
    "eval.shares": ("Show each row as shares (each true class sums to 100 %)",
                    "Mostrar cada fila como proporciones (cada clase real suma 100 %)"),
    "eval.most_confident": ("The most confident mistakes", "Los errores más seguros"),
    "eval.captions": ("Each caption reads: true class → the network's answer (its confidence).",
                      "Cada pie de imagen dice: clase real → la respuesta de la red (su seguridad)."),
    "eval.no_mistakes": ("No mistakes on the test split.", "Ningún error en el conjunto de prueba."),
    "eval.how_many": ("How many to show", "Cuántos mostrar"),
    "inspect.title": ("Inspect: what the network sees", "Inspeccionar: lo que ve la red"),
    "inspect.image": ("Image", "Imagen"),
    "inspect.from_test": ("From the test set", "Del conjunto de prueba"),
    "inspect.from_upload": ("Upload", "Subir una"),
    "inspect.an_image": ("An image ({formats}; up to {megapixels} megapixels)",
                         "Una imagen ({formats}; hasta {megapixels} megapíxeles)"),
    "inspect.upload": ("Upload an image, or pick one from the test set.",
                       "Sube una imagen o elige una del conjunto de prueba."),
    "inspect.or_upload": ("{problem} Or upload an image instead.", "{problem} O sube una imagen en su lugar."),
    "inspect.random": ("Random", "Al azar"),
    "inspect.test_image": ("Test image", "Imagen de prueba"),
    "inspect.about": ("Test image {index}, class {label}", "Imagen de prueba {index}, de la clase {label}"),
    "inspect.evidence_for": ("Grad-CAM shows the evidence for", "Grad-CAM muestra la evidencia de"),
    "inspect.predicted": ("the predicted class", "la clase predicha"),
    "inspect.says": ("**{about}**: the network says **{label}** ({p:.0f} %).",
                     "**{about}**: la red dice **{label}** ({p:.0f} %)."),
    "inspect.gradcam": ("Grad-CAM: where the evidence is", "Grad-CAM: dónde está la evidencia"),
    "inspect.sees": ("what the network sees ({size}×{size} pixels, enlarged)",
                     "lo que ve la red ({size}×{size} píxeles, ampliada)"),
    "inspect.evidence": ("evidence for '{label}' ({p:.0f} %)", "evidencia de '{label}' ({p:.0f} %)"),
    "inspect.feature_maps": ("Feature maps of every convolution layer",
                             "Mapas de características de cada capa de convolución"),
    "inspect.channels": ("{layer}: {channels} channels of {height}×{width}",
                         "{layer}: {channels} canales de {height}×{width}"),
    "inspect.channels_first": ("{layer}: first 64 of {channels} channels of {height}×{width}",
                               "{layer}: los primeros 64 de {channels} canales de {height}×{width}"),
    "inspect.filters": ("The first layer's filters", "Los filtros de la primera capa"),
    "inspect.patches": ("each patch is one filter of the first layer: its weights for red, green and blue, enlarged",
                        "cada parche es un filtro de la primera capa: sus pesos para el rojo, el verde y el azul, "
                        "ampliados"),

    # --- pages/follow.py and its link on Train ---------------------------------------------------------
    "page.follow": ("Follow a run", "Seguir una ejecución"),
    "follow.title": ("Following a run", "Siguiendo una ejecución"),
    "follow.not_found": ("No run on this server has this follow link. It may come from another server, or from "
                         "before the server restarted (saved runs on a cloud server's disk do not survive a restart), "
                         "or the run was deleted.",
                         "Ninguna ejecución de este servidor tiene este enlace de seguimiento. Puede venir de otro "
                         "servidor, o de antes de que el servidor se reiniciara (las ejecuciones guardadas en el "
                         "disco de un servidor en la nube no sobreviven a un reinicio), o la ejecución se borró."),
    "follow.saved": ("{name} · {state} · saved {created} · read-only",
                     "{name} · {state} · guardada el {created} · solo lectura"),
    "follow.live": ("{model} on {data} · {epochs} epochs · read-only: the run is controlled from its own page",
                    "{model} con {data} · {epochs} épocas · solo lectura: la ejecución se controla desde su propia "
                    "página"),
    "follow.its_data": ("its data set", "su conjunto de datos"),
    "follow.ended": ("The run has ended.", "La ejecución ha terminado."),
    "follow.ended_saved": ("The run has ended. It is saved on this server.",
                           "La ejecución ha terminado. Está guardada en este servidor."),
    "train.follow": ("Follow this run on another screen", "Seguir esta ejecución en otra pantalla"),
    "train.follow_caption": ("Anyone who opens this link sees this run's chart and progress live, and its summary at "
                             "the end, without its controls: put it on the classroom's projector, or send it to the "
                             "class.",
                             "Quien abra este enlace verá en directo la gráfica y el progreso de esta ejecución, y su "
                             "resumen al final, sin sus controles: ponlo en el proyector del aula o envíalo a la "
                             "clase."),

    # --- pages/runs.py --------------------------------------------------------------------------------
    "runs.not_renamed": ("It was not renamed: {problem}", "No se ha cambiado el nombre: {problem}"),
    "runs.add": ("Add a run from a file (a .zip downloaded from this page)",
                 "Añadir una ejecución desde un archivo (un .zip descargado de esta página)"),
    "runs.file": ("Run file", "Archivo de ejecución"),
    "runs.added": ("{name} is saved on this server as `{saved}`.", "{name} se ha guardado en este servidor como "
                   "`{saved}`."),
    "runs.broken": ("Broken runs ({n}): folders on the server that cannot be used",
                    "Ejecuciones dañadas ({n}): carpetas del servidor que no se pueden usar"),
    "runs.delete_broken": ("Delete {name} from the server for good", "Borrar {name} del servidor para siempre"),
    "runs.delete": ("Delete", "Borrar"),
    "runs.none": ("No run is saved on this server yet: train one on the Train page, or add a run file above. Runs are "
                  "kept on the server and are still here after a restart.",
                  "Todavía no hay ninguna ejecución guardada en este servidor: entrena una en la página Entrenar o "
                  "añade un archivo de ejecución arriba. Las ejecuciones se guardan en el servidor y siguen aquí "
                  "después de reiniciarlo."),
    "runs.shipped": ("Meanwhile, the models that come with CNN Lab can be compared below.",
                     "Mientras tanto, puedes comparar abajo los modelos que vienen con CNN Lab."),
    "runs.compare": ("Compare", "Comparar"),
    "runs.to_compare": ("Runs to compare", "Ejecuciones que comparar"),
    "runs.manage": ("Manage a run", "Gestionar una ejecución"),
    "runs.run": ("Run", "Ejecución"),
    "runs.name": ("Name", "Nombre"),
    "runs.rename": ("Rename", "Cambiar el nombre"),
    "runs.download": ("Download", "Descargar"),
    "runs.download_help": ("The run as one file (weights and run.json), to keep or to add on another server.",
                           "La ejecución en un solo archivo (pesos y run.json), para guardarla o añadirla en otro "
                           "servidor."),
    "runs.delete_sure": ("Delete this run from the server for good", "Borrar esta ejecución del servidor para siempre"),

    # --- the training settings, by field name: the Train page's label, the help the page and the command
    # line give (what the field's comment in cnnlib.config says), what it is for where the field's facts
    # say so (config.Facts.why), and the page's group titles ---------------------------------------------
    "label.model": ("Network", "Red"),
    "label.conv_dropout": ("Dropout after the first conv", "Dropout tras la primera convolución"),
    "label.fc_dropout": ("Dropout before the classifier", "Dropout antes del clasificador"),
    "label.epochs": ("Epochs", "Épocas"),
    "label.batch_size": ("Batch size", "Tamaño de lote"),
    "label.optimizer": ("Optimizer", "Optimizador"),
    "label.lr": ("Learning rate", "Tasa de aprendizaje"),
    "label.schedule": ("Learning-rate schedule", "Programa de la tasa de aprendizaje"),
    "label.warmup": ("Warm-up share", "Fracción de calentamiento"),
    "label.lr_end": ("Final lr share", "Fracción final de la tasa"),
    "label.momentum": ("Momentum", "Momento"),
    "label.nesterov": ("Nesterov momentum", "Momento de Nesterov"),
    "label.weight_decay": ("Weight decay", "Decaimiento de pesos"),
    "label.bias_lr": ("BN shift lr multiplier", "Multiplicador de la tasa para los desplazamientos de BN"),
    "label.lookahead": ("Lookahead every N steps", "Lookahead cada N pasos"),
    "label.label_smoothing": ("Label smoothing", "Suavizado de etiquetas"),
    "label.augment": ("Augmentation", "Aumento de datos"),
    "label.crop": ("Crop shift (pixels)", "Desplazamiento del recorte (píxeles)"),
    "label.alternate_flips": ("Alternate flips", "Volteos alternos"),
    "label.normalize": ("Normalise inputs", "Normalizar las entradas"),
    "label.tta": ("Test-time views", "Vistas en la prueba"),
    "label.shrink_to": ("Smaller images first: side (pixels, 0 = never)",
                        "Primero imágenes más pequeñas: lado (píxeles, 0 = nunca)"),
    "label.shrink_for": ("Share of the steps with smaller images", "Parte de los pasos con imágenes más pequeñas"),
    "label.max_train": ("Training images (0 = all)", "Imágenes de entrenamiento (0 = todas)"),
    "label.max_test": ("Test images (0 = all)", "Imágenes de prueba (0 = todas)"),
    "label.seed": ("Random seed", "Semilla aleatoria"),
    "label.device": ("Device", "Dispositivo"),
    "label.precision": ("Precision", "Formato numérico"),
    "label.report_every": ("Progress every N steps", "Progreso cada N pasos"),
    "label.eval_every": ("Test every N steps (0 = at epoch ends)", "Prueba cada N pasos (0 = al final de cada época)"),
    "label.test_sample": ("Images in each test before the last (0 = all)",
                          "Imágenes en cada prueba antes de la última (0 = todas)"),
    "help.data": ('"cifar10", "builtin", or a path to an image folder / .zip',
                  '"cifar10", "builtin" o la ruta de una carpeta de imágenes o de un .zip'),
    "help.data_root": ("folder where CIFAR-10 is downloaded and cached",
                       "carpeta donde se descarga y se guarda CIFAR-10"),
    "help.holdout": ("fraction of images held out for testing when a folder has no test split",
                     "fracción de las imágenes que se apartan para la prueba cuando una carpeta no trae conjunto de "
                     "prueba"),
    "help.shrink_to": ("pixels: the side training images are shrunk to for the first steps (0 = never; see "
                       "shrink_for; images no larger than this are left as they are)",
                       "píxeles: el lado al que se reducen las imágenes de entrenamiento en los primeros pasos "
                       "(0 = nunca; ver shrink_for; las imágenes que no son mayores se dejan como están)"),
    "help.shrink_for": ("share of all training steps, from the first, that see images shrunk to shrink_to, 0..1",
                        "parte de todos los pasos de entrenamiento, desde el primero, que ven las imágenes reducidas "
                        "a shrink_to, 0..1"),
    "help.max_train": ("use at most this many training images (0 = all)",
                       "usar como mucho estas imágenes de entrenamiento (0 = todas)"),
    "help.max_test": ("use at most this many test images (0 = all)",
                      "usar como mucho estas imágenes de prueba (0 = todas)"),
    "help.model": ("architecture name, see cnnlib.models.ARCHITECTURES",
                   "nombre de la arquitectura, ver cnnlib.models.ARCHITECTURES"),
    "help.conv_dropout": ("dropout probability after the first conv (tutorial: 0.3)",
                          "probabilidad de dropout tras la primera convolución (tutorial: 0.3)"),
    "help.fc_dropout": ("dropout probability before the classifier (tutorial: 0.5)",
                        "probabilidad de dropout antes del clasificador (tutorial: 0.5)"),
    "help.epochs": ("passes over the training set", "pasadas por el conjunto de entrenamiento"),
    "help.batch_size": ("images per step", "imágenes por paso"),
    "help.optimizer": ('"sgd", "adam" or "adamw"', '"sgd", "adam" o "adamw"'),
    "help.lr": ("peak learning rate", "tasa de aprendizaje máxima"),
    "help.schedule": ('"constant", "onecycle" (warm-up then linear decay), "cosine", "step"',
                      '"constant", "onecycle" (calentamiento y luego descenso lineal), "cosine", "step"'),
    "help.warmup": ("fraction of all steps spent warming up (onecycle and cosine)",
                    "fracción de todos los pasos dedicada al calentamiento (onecycle y cosine)"),
    "help.lr_end": ("learning rate at the last step, as a fraction of lr (onecycle and cosine)",
                    "tasa de aprendizaje en el último paso, como fracción de lr (onecycle y cosine)"),
    "help.momentum": ("SGD momentum, or Adam's beta1", "momento de SGD, o beta1 de Adam"),
    "help.nesterov": ("Nesterov momentum (SGD only)", "momento de Nesterov (solo SGD)"),
    "help.weight_decay": ("L2 penalty per step (decoupled for AdamW)",
                          "penalización L2 por paso (desacoplada en AdamW)"),
    "help.bias_lr": ("batch norm shifts' learning rate as a multiple of lr (same decay per step)",
                     "tasa de aprendizaje de los desplazamientos de la normalización por lotes, como múltiplo de lr "
                     "(con el mismo descenso en cada paso)"),
    "help.lookahead": ("steps between pulls of the weights toward their running average (0 = none)",
                       "pasos entre cada acercamiento de los pesos a su media móvil (0 = ninguno)"),
    "help.label_smoothing": ("cross-entropy label smoothing, 0 = none",
                             "suavizado de etiquetas de la entropía cruzada, 0 = ninguno"),
    "help.augment": ('"none", "flip", "crop" or "flip+crop"', '"none", "flip", "crop" o "flip+crop"'),
    "help.crop": ("pixels a random crop may move the image each way (zero padding)",
                  "píxeles que un recorte aleatorio puede mover la imagen en cada dirección (relleno con ceros)"),
    "help.alternate_flips": ("flips: each image mirrored in every other epoch, not at random",
                             "volteos: cada imagen se refleja en una de cada dos épocas, no al azar"),
    "help.normalize": ("subtract per-channel mean and divide by std (tutorial: ToTensor only)",
                       "restar la media de cada canal y dividir por su desviación típica (tutorial: solo ToTensor)"),
    "help.seed": ("seed for weights, shuffling, augmentation and dropout",
                  "semilla de los pesos, el barajado, el aumento de datos y el dropout"),
    "help.device": ('"auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"',
                    '"auto" (CUDA, luego MPS, luego CPU), "cpu", "cuda" o "mps"'),
    "help.precision": ("fp32, bf16/fp16 autocast, or auto (bf16 on CUDA or a CPU with fast bf16: AMX, or AMD's "
                       "AVX-512 bf16; else fp32)",
                       "fp32, autocast bf16/fp16, o auto (bf16 en CUDA o en una CPU con bf16 rápido: AMX, o AVX-512 "
                       "bf16 de AMD; si no, fp32)"),
    "help.report_every": ("steps between progress events", "pasos entre avisos de progreso"),
    "help.tta": ('test-time views: "none", "flip" (+ mirror), "flip+shift" (+ both shifted 1 px)',
                 'vistas en la prueba: "none", "flip" (+ reflejo), "flip+shift" (+ ambas desplazadas 1 píxel)'),
    "help.eval_every": ("steps between extra test-set checks within an epoch (0 = epoch ends only)",
                        "pasos entre pruebas extra con el conjunto de prueba dentro de una época (0 = solo al final "
                        "de cada época)"),
    "help.test_sample": ("test images (a fixed sample, one view) in each test before the last (0 = all, with the tta "
                         "views)",
                         "imágenes de prueba (una muestra fija, una sola vista) en cada prueba antes de la última "
                         "(0 = todas, con las vistas de tta)"),
    "why.warmup": ("Small steps first let the new network and batch norm's statistics settle before the big ones.",
                   "Empezar con pasos pequeños deja que la red nueva y las estadísticas de la normalización por lotes "
                   "se asienten antes de los pasos grandes."),
    "why.lr_end": ("A decay that stops a little above zero keeps the last steps learning. The speed record ends at "
                   "0.07; gpu-speedrun, measured both ways here, does as well at 0.",
                   "Un descenso que se detiene un poco por encima de cero hace que los últimos pasos sigan "
                   "aprendiendo. "
                   "El récord de velocidad termina en 0.07; gpu-speedrun, medido aquí de las dos formas, funciona "
                   "igual de bien con 0."),
    "why.nesterov": ("Momentum that corrects itself one step ahead: usually a little faster and steadier.",
                     "Un momento que se corrige mirando un paso por delante: suele ser algo más rápido y estable."),
    "why.weight_decay": ("Pulls every weight a little toward zero each step, so the network does not lean on a few "
                         "large weights; it usually tests better.",
                         "Acerca cada peso un poco a cero en cada paso, para que la red no dependa de unos pocos pesos "
                         "grandes; suele dar mejores resultados en la prueba."),
    "why.bias_lr": ("Batch norm's shifts are few and want large steps: the speed record trains them 64 times as fast "
                    "as the other weights.",
                    "Los desplazamientos de la normalización por lotes son pocos y necesitan pasos grandes: el récord "
                    "de velocidad los entrena 64 veces más rápido que el resto de los pesos."),
    "why.lookahead": ("Averaging the weights over recent steps smooths out the noise of single batches, so the "
                      "finished network tests better.",
                      "Promediar los pesos de los últimos pasos suaviza el ruido de cada lote, así que la red final "
                      "da mejores resultados en la prueba."),
    "why.label_smoothing": ("Asks the network to be, say, 90 % sure instead of 100 %: it stays less over-confident "
                            "and usually tests better.",
                            "Pide a la red que esté, por ejemplo, segura al 90 % en lugar de al 100 %: así peca menos "
                            "de exceso de confianza y suele dar mejores resultados en la prueba."),
    "why.crop": ("Moving each image a few pixels shows the same object in new places, so the network learns the "
                 "object, not where it sits.",
                 "Mover cada imagen unos píxeles muestra el mismo objeto en sitios nuevos, así que la red aprende el "
                 "objeto y no dónde está."),
    "why.alternate_flips": ("Every image is seen mirrored in exactly every other epoch, not by chance: in a short run "
                            "each one is seen both ways.",
                            "Cada imagen se ve reflejada exactamente en una de cada dos épocas, no al azar: en una "
                            "ejecución corta cada una se ve de las dos formas."),
    "why.normalize": ("Centres each colour on zero with the same spread, so the first layer learns faster.",
                      "Centra cada color en cero con la misma dispersión, para que la primera capa aprenda más "
                      "rápido."),
    "why.shrink_to": ("Early on the network learns coarse shapes and colours, which small images show as well as "
                      "large ones; at 24 pixels instead of 32 a step costs little more than half. The last steps "
                      "use full-size images, so the network is tested on what it finished on.",
                      "Al principio la red aprende formas y colores gruesos, que las imágenes pequeñas muestran igual "
                      "que las grandes; con 24 píxeles en vez de 32 un paso cuesta poco más de la mitad. Los últimos "
                      "pasos usan imágenes de tamaño completo, así que la red se prueba con lo que terminó viendo."),
    "why.tta": ("Averaging the answers for a few views of each test image is a cheap way to a better test score.",
                "Promediar las respuestas para unas cuantas vistas de cada imagen de prueba es una forma barata de "
                "mejorar la puntuación en la prueba."),
    "why.eval_every": ("Tests within an epoch too, so a short run's chart has more than one point.",
                       "Prueba también dentro de cada época, para que la gráfica de una ejecución corta tenga más de "
                       "un punto."),
    "why.test_sample": ("A test of all 10,000 CIFAR-10 images with six views takes about 12 s on a small CPU; one "
                        "view of 2,000 of them takes about half a second. The curve moves a point or so either way, "
                        "and the last test still uses every image and every view.",
                        "Probar las 10.000 imágenes de CIFAR-10 con seis vistas lleva unos 12 s en una CPU pequeña; "
                        "una vista de 2.000 de ellas, medio segundo. La curva se mueve un punto arriba o abajo, y la "
                        "última prueba sigue usando todas las imágenes y todas las vistas."),
    "group.model": ("Model", "Modelo"),
    "group.optimisation": ("Optimisation", "Optimización"),
    "group.data": ("Data pipeline", "Preparación de los datos"),
    "group.run": ("Run", "Ejecución"),

    # --- the pages (ui.browser.EXPLAIN): how to read each view ------------------------------------------------
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

    # --- cnnlib.plots, cnnlib.evalplots and cnnlib.compare: the figures and tables -------------------
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
    "plots.test_accuracy_sampled": ("test accuracy (○: a quick test of {n:,} images; ●: all of them)",
                                    "precisión de prueba (○: prueba rápida con {n:,} imágenes; ●: todas)"),
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

    # --- cnnlib.links: settings from a link -----------------------------------------------------------
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
    # --- Learn by doing (issue #18): the camera on Predict and Inspect, and Guess first on Train ------
    "camera.from": ("Images from", "Imágenes de"),
    "camera.upload": ("Upload", "Subir"),
    "camera.camera": ("Camera", "Cámara"),
    "camera.take": ("Take a photo", "Haz una foto"),
    "camera.photo": ("Your photo", "Tu foto"),
    "camera.explain": ("The photo goes through the same steps as an upload: it is shrunk to {size}×{size} pixels, "
                       "the size of the images the network learned from. Fill the frame with one object of a class "
                       "it knows: a small thing in a big room keeps only a few of those pixels.",
                       "La foto pasa por los mismos pasos que una imagen subida: se reduce a {size}×{size} píxeles, "
                       "el tamaño de las imágenes con las que aprendió la red. Llena el encuadre con un objeto de "
                       "una clase que conozca: algo pequeño en una habitación grande se queda en unos pocos de "
                       "esos píxeles."),
    "camera.info": ("Take a photo of something the network knows: {classes}.",
                    "Haz una foto de algo que la red conozca: {classes}."),
    "guess.title": ("Guess first (optional)", "Primero, adivina (opcional)"),
    "guess.explain": ("Before you press Start, write down what you expect; after the run, your guess is shown "
                      "beside what happened. Guessing first makes the result tell you something: a surprise "
                      "is where you learn.",
                      "Antes de pulsar Iniciar, anota lo que esperas; al acabar la ejecución, tu predicción se "
                      "muestra junto a lo que pasó. Adivinar primero hace que el resultado te diga algo: la "
                      "sorpresa es donde se aprende."),
    "guess.accuracy": ("Final test accuracy you expect (%)", "Precisión de prueba final que esperas (%)"),
    "guess.gap": ("Will the test accuracy fall behind the training accuracy?",
                  "¿Quedará la precisión de prueba por detrás de la precisión de entrenamiento?"),
    "guess.yes": ("yes, it will fall behind", "sí, quedará por detrás"),
    "guess.no": ("no, it will keep up", "no, se mantendrá a la par"),
    "guess.unsure": ("not sure", "no lo sé"),
    "guess.heading": ("Your guess and what happened", "Tu predicción y lo que pasó"),
    "guess.what": ("Question", "Pregunta"),
    "guess.guessed": ("Your guess", "Tu predicción"),
    "guess.happened": ("What happened", "Lo que pasó"),
    "guess.final": ("Final test accuracy", "Precisión de prueba final"),
    "guess.final_was": ("{value:.1f} % ({off:+.1f} points)", "{value:.1f} % ({off:+.1f} puntos)"),
    "guess.behind": ("Test accuracy behind training accuracy", "Precisión de prueba por detrás de la de entrenamiento"),
    "guess.behind_yes": ("yes: {test:.1f} % on the test set, {train:.1f} % in training",
                         "sí: {test:.1f} % en el conjunto de prueba, {train:.1f} % en entrenamiento"),
    "guess.behind_no": ("no: {test:.1f} % on the test set, {train:.1f} % in training",
                        "no: {test:.1f} % en el conjunto de prueba, {train:.1f} % en entrenamiento"),
    "guess.bad_accuracy": ("A guessed accuracy must be from 0 to 100 %, not {value}.",
                           "Una precisión adivinada debe ir de 0 a 100 %, no {value}."),
    "guess.bad_gap": ("A guess of the gap must be yes, no or unsure, not {value}.",
                      "Una predicción de la diferencia debe ser yes, no o unsure, no {value}."),
    "runfile.guess": ("it must be a mapping of 'accuracy' (0 to 100, or null) and 'gap' ({choices}, or null)",
                      "debe ser un diccionario de 'accuracy' (0 a 100, o null) y 'gap' ({choices}, o null)"),
    # --- Inspect: fool the network (adversarial examples, FGSM and PGD; cnnlib.adversarial) ---
    "explain.adversarial": (
        "Each pixel of the image is moved by at most ε levels, in the direction that most lowers the network's "
        "confidence in its answer (FGSM takes one step, PGD several small ones). A change too small for you to see "
        "can be enough to make the network say something else, and Grad-CAM shows where it now looks.",
        "Cada píxel de la imagen se mueve como mucho ε niveles, en la dirección que más reduce la confianza de la "
        "red en su respuesta (FGSM da un solo paso, PGD varios pequeños). Un cambio demasiado pequeño para que lo "
        "veas puede bastar para que la red diga otra cosa, y Grad-CAM muestra dónde mira ahora."),
    "explain.robustness": (
        "The chart attacks the same sample of test images with FGSM at each ε and measures the accuracy that is left. "
        "A network whose accuracy falls steeply is easy to fool, even if it is very accurate on untouched images.",
        "El gráfico ataca la misma muestra de imágenes de prueba con FGSM para cada ε y mide la precisión que queda. "
        "Una red cuya precisión cae en picado es fácil de engañar, aunque sea muy precisa con las imágenes sin tocar."),
    "inspect.fool": ("Fool the network: adversarial images", "Engañar a la red: imágenes adversarias"),
    "inspect.epsilon": ("ε: how many levels (of 255) each pixel may change",
                        "ε: cuántos niveles (de 255) puede cambiar cada píxel"),
    "inspect.attack": ("Attack", "Ataque"),
    "inspect.fgsm": ("FGSM (one step)", "FGSM (un paso)"),
    "inspect.pgd": ("PGD ({steps} steps)", "PGD ({steps} pasos)"),
    "inspect.before": ("before: {label} ({p:.0f} %)", "antes: {label} ({p:.0f} %)"),
    "inspect.change": ("the change, magnified (grey: none; at most {eps}/255)",
                       "el cambio, ampliado (gris: ninguno; como mucho {eps}/255)"),
    "inspect.after": ("after: {label} ({p:.0f} %)", "después: {label} ({p:.0f} %)"),
    "inspect.cam_before": ("Grad-CAM before: evidence for '{label}'", "Grad-CAM antes: evidencia de '{label}'"),
    "inspect.cam_after": ("Grad-CAM after: evidence for '{label}'", "Grad-CAM después: evidencia de '{label}'"),
    "inspect.fooled": ("Fooled: the network now says **{after}** ({q:.0f} %) instead of **{before}** ({p:.0f} %).",
                       "Engañada: la red dice ahora **{after}** ({q:.0f} %) en lugar de **{before}** ({p:.0f} %)."),
    "inspect.not_fooled": ("Not fooled: the network still says **{label}** ({p:.0f} % before, {q:.0f} % after).",
                           "No engañada: la red sigue diciendo **{label}** ({p:.0f} % antes, {q:.0f} % después)."),
    "inspect.attacking": ("Attacking {n} test images at each ε…", "Atacando {n} imágenes de prueba con cada ε…"),
    "inspect.chart_needs_test": ("The accuracy chart attacks test images: pick one from the test set to see it.",
                                 "El gráfico de precisión ataca imágenes de prueba: elige una del conjunto de prueba "
                                 "para verlo."),
    "plots.robustness": ("Test accuracy against ε", "Precisión de prueba según ε"),
    # one view of each image, so at ε = 0 it can sit below a run's accuracy with several views (tta)
    "plots.robustness_sample": ("FGSM on {n} test images, one view each",
                                "FGSM sobre {n} imágenes de prueba, una vista de cada una"),
    "plots.epsilon": ("ε (levels of 255 per pixel)", "ε (niveles de 255 por píxel)"),
    # --- continue a run (issue #18 point 5): train a saved run further, as a new run naming its parent --------
    "continue.title": ("Continue training", "Seguir entrenando"),
    "continue.explain": (
        "Training goes on from this run's last weights, with its optimiser's memory (momentum), its learning "
        "rate schedule and any change of learning rate or momentum made while it trained where they were, so its "
        "curves carry on from where they stopped. It is saved as a new run "
        "that names this one as its parent; this run stays as it is.",
        "El entrenamiento sigue desde los últimos pesos de esta ejecución, con la memoria de su optimizador "
        "(el momento), su programa de tasa de aprendizaje y cualquier cambio de tasa o de momento hecho durante "
        "el entrenamiento donde estaban, así que sus curvas siguen desde donde se "
        "detuvieron. Se guarda como una ejecución nueva que nombra a esta como su madre; esta queda como está."),
    "continue.epochs": ("Epochs to add", "Épocas que añadir"),
    "continue.start": ("Continue training", "Seguir entrenando"),
    "continue.busy": ("This session is training a run already: wait for it to end, or stop it on Train.",
                      "Esta sesión ya está entrenando una ejecución: espera a que termine o detenla en Entrenar."),
    "continue.refused": ("This run cannot be continued: {problem}", "Esta ejecución no se puede continuar: {problem}"),
    "continue.diverged": ("it diverged, so its last weights are not worth training further.",
                          "divergió, así que no vale la pena seguir entrenando sus últimos pesos."),
    "continue.other_data": ("it was trained on {data}, and the data set chosen in the sidebar is {chosen}. Choose "
                            "{data} there first.",
                            "se entrenó con {data} y el conjunto de datos elegido en la barra lateral es {chosen}. "
                            "Elige primero {data} allí."),
    "continue.fresh_optimizer": (
        "This run was saved without its optimiser's state (a run shipped with CNN Lab, or one from an older "
        "version): training goes on from its weights with the optimiser's momentum starting afresh, so the first "
        "steps may move the curves a little more than if it had never stopped.",
        "Esta ejecución se guardó sin el estado de su optimizador (una ejecución incluida con CNN Lab o de una "
        "versión anterior): el entrenamiento sigue desde sus pesos con el momento del optimizador empezando de "
        "cero, así que los primeros pasos pueden mover las curvas algo más que si nunca se hubiera detenido."),
    "continue.name": ("{name} (continued)", "{name} (continuación)"),
    "continue.of": ("Continues the run {parent}: the curves begin with that run's epochs.",
                    "Continúa la ejecución {parent}: las curvas empiezan con las épocas de esa ejecución."),
    "continue.parent": ("Continues {parent}.", "Continúa {parent}."),
    "optim.misfit": ("The saved optimiser state does not fit this network's weights (another run's, or a damaged "
                     "optimizer.pt).",
                     "El estado del optimizador guardado no encaja con los pesos de esta red (es de otra ejecución, "
                     "o optimizer.pt está dañado)."),
    "checkpoints.optimizer_too_big": (
        "{where}: optimizer.pt is {mb:,.1f} MB, more than this network's optimiser state can take ({limit:,.1f} MB): "
        "it holds something else, and was not read.",
        "{where}: optimizer.pt ocupa {mb:,.1f} MB, más de lo que puede ocupar el estado del optimizador de esta red "
        "({limit:,.1f} MB): contiene otra cosa y no se ha leído."),
    "checkpoints.not_optimizer": (
        "{where}: {file} is not the optimiser state of this run (a damaged file, or another run's).",
        "{where}: {file} no es el estado del optimizador de esta ejecución (un archivo dañado, o el de otra "
        "ejecución)."),
    # --- Evaluate: mistakes by cell (click a cell of the confusion matrix or a bar) -----------------
    "cells.title": ("Mistakes by cell", "Errores por celda"),
    "cells.explain": (
        "Click a cell of the confusion matrix, or choose a true class and an answer below, to see the test images "
        "of that class that the network gave that answer, the most confident first. A cell on the diagonal shows "
        "the images it got right; a bar of the per-class chart shows all the mistakes of its class.",
        "Haz clic en una celda de la matriz de confusión, o elige abajo una clase real y una respuesta, para ver "
        "las imágenes de prueba de esa clase a las que la red dio esa respuesta, primero las más seguras. Una celda "
        "de la diagonal muestra las imágenes que acertó; una barra de la precisión por clase muestra todos los "
        "errores de su clase."),
    "cells.true": ("True class", "Clase real"),
    "cells.answer": ("The network's answer", "Respuesta de la red"),
    "cells.any_wrong": ("any wrong answer", "cualquier respuesta errónea"),
    "cells.count": ("{n:,} test images of {true} answered {answer}.",
                    "{n:,} imágenes de prueba de {true} con la respuesta {answer}."),
    "cells.count_wrong": ("{n:,} test images of {true} answered wrongly.",
                          "{n:,} imágenes de prueba de {true} con una respuesta errónea."),
    "cells.more": ("…and {n:,} more, less confident.", "…y {n:,} más, menos seguras."),

    # --- the code behind the settings (cnnlib.export, the Train page's Code view) ---
    "export.view": ("The code behind these settings", "El código detrás de estos ajustes"),
    "export.explain": (
        "This is the plain PyTorch program that these settings amount to, in the tutorial's shape: the data and "
        "its transforms, the network layer by layer, the loss, the optimiser and the loop over the epochs. "
        "Download it and run it with only torch and torchvision; anything it does not reproduce is named at its top.",
        "Este es el programa de PyTorch sencillo al que equivalen estos ajustes, con la forma del tutorial: los "
        "datos y sus transformaciones, la red capa a capa, la pérdida, el optimizador y el bucle de épocas. "
        "Descárgalo y ejecútalo solo con torch y torchvision; lo que no reproduce se nombra al principio."),
    "export.download": ("Download {file}", "Descargar {file}"),
    "export.fix_first": ("The program appears when the settings above have no problems.",
                         "El programa aparece cuando los ajustes de arriba no tienen problemas."),
    "export.no_data": ("The program appears once the data set can be loaded (see the Data page).",
                       "El programa aparece cuando el conjunto de datos se puede cargar (ver la página Datos)."),
    "export.c.title": ("CNN Lab: the plain PyTorch program for these settings (preset {preset}, data {data}).",
                       "CNN Lab: el programa de PyTorch sencillo para estos ajustes (receta {preset}, datos {data})."),
    "export.c.needs": ("Needs only torch and torchvision. Run: python {file} [--data FOLDER] [--epochs N] [--limit N]",
                       "Solo necesita torch y torchvision. Ejecución: python {file} [--data CARPETA] [--epochs N] "
                       "[--limit N]"),
    "export.c.data_cifar": ("Without --data it trains on CIFAR-10, which torchvision downloads into ./data; --data "
                            "takes a folder of images with one subfolder per class instead.",
                            "Sin --data entrena con CIFAR-10, que torchvision descarga en ./data; --data toma en "
                            "su lugar una carpeta de imágenes con una subcarpeta por clase."),
    "export.c.data_folder": ("Give --data: the folder of images, with one subfolder per class (or train/ and test/ "
                             "folders, each with one subfolder per class).",
                             "Indica --data: la carpeta de imágenes, con una subcarpeta por clase (o carpetas "
                             "train/ y test/, cada una con una subcarpeta por clase)."),
    "export.c.leaves_out": ("This program leaves out: {items}.", "Este programa deja fuera: {items}."),
    "export.out.builtin": ("Shapes-10, which CNN Lab draws itself (CIFAR-10 instead, or your --data folder)",
                           "Shapes-10, que CNN Lab dibuja por sí mismo (en su lugar CIFAR-10, o tu carpeta --data)"),
    "export.c.views": ("The views of a test image whose outputs the test averages (tta={tta}): the image and its "
                       "mirror, and for flip+shift both moved one pixel each way, the edge reflected into the gap.",
                       "Las vistas de una imagen de prueba cuyas salidas promedia la prueba (tta={tta}): la imagen y "
                       "su reflejo, y con flip+shift ambas desplazadas un píxel en cada sentido, con el borde "
                       "reflejado en el hueco."),
    "export.c.lookahead": ("Lookahead: every LOOKAHEAD steps the weights (and batch norm's statistics) are pulled "
                           "part of the way back to their running average, more strongly as training goes on.",
                           "Lookahead: cada LOOKAHEAD pasos los pesos (y las estadísticas de la normalización por "
                           "lotes) se acercan en parte a su media móvil, con más fuerza a medida que avanza el "
                           "entrenamiento."),
    "export.c.whiten": ("The first layer whitens the image's 2×2 patches: each filter is an eigenvector of the "
                        "patches' covariance, scaled by one over the root of its eigenvalue, once as it is and once "
                        "negated. Set once from training images; only its bias learns.",
                        "La primera capa blanquea los parches de 2×2 de la imagen: cada filtro es un vector propio de "
                        "la covarianza de los parches, escalado por uno entre la raíz de su valor propio, una vez tal "
                        "cual y otra negado. Se fija una vez a partir de imágenes de entrenamiento; solo aprende su "
                        "sesgo."),
    "export.c.whiten_frozen": ("set from the data, not learned", "fijada a partir de los datos, no aprendida"),
    "export.c.fit_whitening": ("Set the whitening layer from up to 5,000 training images, without augmentation.",
                               "Fija la capa de blanqueo a partir de hasta 5000 imágenes de entrenamiento, sin aumento "
                               "de datos."),
    "export.out.precision": ("mixed precision (precision={precision}): everything runs in float32",
                             "la precisión mixta (precision={precision}): todo se calcula en float32"),
    "export.c.alternating": ("Alternating flips: half the training images, drawn once, are mirrored in even epochs "
                             "and the other half in odd ones, so that two epochs in a row show every image both ways.",
                             "Volteos alternos: la mitad de las imágenes de entrenamiento, elegida una vez, se refleja "
                             "en las épocas pares y la otra mitad en las impares, así dos épocas seguidas muestran "
                             "cada imagen en los dos sentidos."),
    "export.c.which_flips": ("which half is mirrored", "qué mitad se refleja"),
    "export.c.flips_later": ("mirrored by AlternatingFlips, below", "las refleja AlternatingFlips, más abajo"),
    "export.out.eval_every": ("tests within an epoch (eval_every={n}): the test set is checked after each epoch only",
                              "las pruebas dentro de una época (eval_every={n}): el conjunto de prueba se comprueba "
                              "solo tras cada época"),
    "export.out.test_sample": ("the tests on a sample (test_sample={n}): every test uses all test images",
                               "las pruebas con una muestra (test_sample={n}): cada prueba usa todas las imágenes "
                               "de prueba"),
    "export.out.shrink": ("the smaller images first (shrink_to={size} for {share:.0%} of the steps): every step "
                          "uses full-size images",
                          "las imágenes más pequeñas al principio (shrink_to={size} durante el {share:.0%} de los "
                          "pasos): cada paso usa imágenes de tamaño completo"),
    "export.c.settings": ("The settings, as the Train page has them.",
                          "Los ajustes, tal como los tiene la página Entrenar."),
    "export.c.classes": ("The data set in the app: {n} classes ({classes}).",
                         "El conjunto de datos de la aplicación: {n} clases ({classes})."),
    "export.c.transforms": ("What happens to each image before the network sees it.",
                            "Lo que le pasa a cada imagen antes de que la red la vea."),
    "export.c.resize": ("Images from a folder: cropped to a square at their centre, resized to {size}×{size} pixels.",
                        "Imágenes de una carpeta: recortadas a un cuadrado en su centro y redimensionadas a "
                        "{size}×{size} píxeles."),
    "export.c.augment": ("Training images only: mirrored and/or moved at random (augmentation).",
                         "Solo las imágenes de entrenamiento: reflejadas y/o desplazadas al azar (aumento de datos)."),
    "export.c.normalize": ("Each channel minus its mean, divided by its standard deviation (the training images').",
                           "A cada canal se le resta su media y se divide por su desviación típica (las de las "
                           "imágenes de entrenamiento)."),
    "export.c.data": ("The training set and the test set: CIFAR-10, or a folder of images.",
                      "El conjunto de entrenamiento y el conjunto de prueba: CIFAR-10, o una carpeta de imágenes."),
    "export.c.holdout": ("No train/ and test/ folders: a fraction HOLDOUT of the images is held out for testing.",
                         "Sin carpetas train/ y test/: una fracción HOLDOUT de las imágenes se reserva para la "
                         "prueba."),
    "export.c.limit": ("--limit, or the settings' MAX_TRAIN and MAX_TEST: only that many images of each set (0 = all).",
                       "--limit, o MAX_TRAIN y MAX_TEST de los ajustes: solo esa cantidad de imágenes de cada "
                       "conjunto (0 = todas)."),
    "export.c.network": ("The network ({model}), layer by layer: {params:,} parameters for {classes} classes.",
                         "La red ({model}), capa a capa: {params:,} parámetros para {classes} clases."),
    "export.c.network_unsized": ("The network ({model}), layer by layer.", "La red ({model}), capa a capa."),
    "export.c.block": ("block {i}: {cin} -> {cout} channels, the image halved to {size}×{size}",
                       "bloque {i}: {cin} -> {cout} canales, la imagen reducida a la mitad, {size}×{size}"),
    "export.c.residual": ("the block's first output is added to its last (a residual connection)",
                          "la primera salida del bloque se suma a la última (una conexión residual)"),
    "export.c.identity": ("Each 3×3 convolution starts as the identity on its first input-many filters.",
                          "Cada convolución 3×3 empieza como la identidad en tantos filtros como canales de entrada."),
    "export.c.frozen_scale": ("Batch norm's scales stay at 1: only its shifts learn.",
                              "Las escalas de la normalización por lotes quedan en 1: solo aprenden sus "
                              "desplazamientos."),
    "export.c.head_scale": ("small logits calm the first steps", "unos logits pequeños calman los primeros pasos"),
    "export.c.schedule": ("The learning-rate schedule ({schedule}): the rate at each step as a fraction of LR.",
                          "El plan de la tasa de aprendizaje ({schedule}): la tasa en cada paso como fracción de LR."),
    "export.c.test": ("Accuracy on the test set: the fraction of test images whose most likely class is the right one.",
                      "Precisión en el conjunto de prueba: la fracción de imágenes de prueba cuya clase más probable "
                      "es la correcta."),
    "export.help.data": ("a folder of images, one subfolder per class (default: CIFAR-10)",
                         "una carpeta de imágenes, una subcarpeta por clase (por defecto: CIFAR-10)"),
    "export.help.limit": ("use at most this many training and test images (0: the settings' own)",
                          "como mucho tantas imágenes de entrenamiento y de prueba (0: las de los ajustes)"),
    "export.need_data": ("give --data: a folder of images with one subfolder per class",
                         "indica --data: una carpeta de imágenes con una subcarpeta por clase"),
    "export.c.device_cpu": ("The CPU, as the settings say (device=cpu).",
                            "La CPU, como dicen los ajustes (device=cpu)."),
    "export.c.device": ("A GPU if there is one, else the CPU.", "Una GPU si la hay; si no, la CPU."),
    "export.c.loss": ("The loss: cross-entropy, with label smoothing {smoothing} (0 = none).",
                      "La pérdida: entropía cruzada, con suavizado de etiquetas {smoothing} (0 = ninguno)."),
    "export.c.optimizer": ("The optimiser ({optimizer}) with the settings' learning rate, momentum and weight decay.",
                           "El optimizador ({optimizer}) con la tasa de aprendizaje, el momento y el decaimiento de "
                           "pesos de los ajustes."),
    "export.c.bias_lr": ("Batch norm's shifts learn at {times} times the learning rate, their weight decay divided by "
                         "as much.", "Los desplazamientos de la normalización por lotes aprenden a {times} veces la "
                         "tasa de aprendizaje, con su decaimiento de pesos dividido por lo mismo."),
    "export.c.loop": ("Each epoch: every training batch once (forward pass, loss, backward pass, one step of the "
                      "optimiser), then the test set.", "Cada época: cada lote de entrenamiento una vez (pasada hacia "
                      "delante, pérdida, pasada hacia atrás, un paso del optimizador) y después el conjunto de "
                      "prueba."),
    "export.print_epoch": ("epoch {epoch}/{epochs}: loss {loss:.4f}, test accuracy {accuracy:.1%}",
                           "época {epoch}/{epochs}: pérdida {loss:.4f}, precisión en el conjunto de prueba "
                           "{accuracy:.1%}"),
    "continue.at_least_one": ("A run goes on for at least 1 more epoch, not {more}.",
                              "Una ejecución sigue al menos 1 época más, no {more}."),
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

