"""The app in Spanish, in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`.

    .venv/bin/python -m pytest tests/e2e/test_spanish.py -q

Opens the app with ?lang=es and walks every page (Inicio, Datos, Entrenar with a short run started and
stopped, Predecir with an upload, Evaluar, Inspeccionar, Ejecuciones y comparación), failing if a page
shows any of the English catalogue's sentences (four words or more: cnnlib.words.fixed_phrases), in its
text or in its charts, an exception box or a console error. A second test opens the app in a browser
whose language is Spanish, with no lang in the address.
"""
import pytest
from drive import CHART, LIVE, button, go, set_number, settle, wait_points
from PIL import Image, ImageDraw

from cnnlib.words import fixed_phrases, plain

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What a page shows: its text, and the words Plotly draws as SVG (titles, axes, legends, annotations)
SHOWN = ("() => document.body.innerText + ' | ' + "
         "[...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent).join(' | ')")
ENGLISH = fixed_phrases("en")


def english_on(page) -> list[str]:
    shown = plain(page.evaluate(SHOWN))
    return sorted(p for p in ENGLISH if p in shown)


def spanish(page, where: str) -> None:
    """No English sentence, no exception box, no console error on the page as it is now."""
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    assert not page.console_errors, page.console_errors
    assert not english_on(page), (where, english_on(page))


def test_every_page_in_spanish_shows_no_english_sentence(new_page, tmp_path):
    page = new_page()
    page.goto("/?lang=es")
    settle(page)
    page.get_by_text("Entrena una red neuronal convolucional").wait_for()
    assert "copia compacta que viene con CNN Lab" in page.get_by_test_id("stAlertContentSuccess").first.inner_text()
    # Streamlit's own words on the uploader, replaced through CSS (ui.browser.streamlit_words)
    said = page.get_by_test_id("stFileUploaderDropzone").first.evaluate(
        "e => getComputedStyle(e.querySelector('button [data-testid=stMarkdownContainer]'), '::after').content")
    assert said == '"Subir"'
    spanish(page, "Inicio")

    go(page, "Datos")
    page.wait_for_selector(CHART)
    button(page, "Siguiente lote").click()
    page.get_by_text("Lote 2 de").wait_for()
    settle(page)
    spanish(page, "Datos")

    go(page, "Entrenar")
    page.get_by_text("Ejecución", exact=True).click()            # the "Run" settings group
    set_number(page, "report_every", 3)
    set_number(page, "epochs", 10)
    button(page, "Iniciar").click()
    wait_points(page, 3)
    page.get_by_text("imágenes/s").first.wait_for()               # the progress line, while it trains
    spanish(page, "Entrenar (entrenando)")
    button(page, "Detener").click()
    page.get_by_text("Detenida en la época").wait_for()
    settle(page)
    assert page.get_by_test_id("stMetric").count() == 4           # the summary
    spanish(page, "Entrenar (detenida)")

    go(page, "Predecir")
    img = tmp_path / "disco.png"
    im = Image.new("RGB", (160, 120), (40, 70, 160))
    ImageDraw.Draw(im).ellipse((45, 25, 115, 95), fill=(220, 50, 40))
    im.save(img)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(img))
    page.get_by_text("lo más probable").wait_for()
    page.wait_for_selector(CHART)
    settle(page)
    spanish(page, "Predecir")

    go(page, "Evaluar")
    page.wait_for_selector(f"{CHART} .heatmaplayer")
    page.wait_for_selector(f"{LIVE} [data-testid=stImage]")      # the gallery of mistakes
    settle(page)
    spanish(page, "Evaluar")

    go(page, "Inspeccionar")
    page.get_by_text("Mapas de características de cada capa de convolución").wait_for()
    settle(page)
    spanish(page, "Inspeccionar")

    go(page, "Ejecuciones y comparación")
    page.wait_for_selector(CHART)
    assert button(page, "Descargar").count() == 1
    spanish(page, "Ejecuciones y comparación")


def test_a_browser_in_spanish_opens_the_app_in_spanish(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=app_url, locale="es-ES")
    try:
        page = context.new_page()
        page.goto("/")
        settle(page)
        page.get_by_text("Entrena una red neuronal convolucional").wait_for()
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_text("Entrenar", exact=True).count() == 1
        assert nav.get_by_text("Train", exact=True).count() == 0
    finally:
        context.close()
