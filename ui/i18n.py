"""Gradio's half of the UI's translation (the catalogues are in `kenning.ui.catalogues`).

Components are labelled with `label(key)`, which Gradio's `gr.I18n` translates in the browser
into the page's language (the browser's, at first). HTML rendered by the server takes the
language of the request its event came with (`language`). The switch in the header stores the
reader's choice in the `kenning_lang` cookie and reloads the page; the page's start-up script
(`LOCALE_JS`) then sets Gradio's language to it too, through `changeLocale` of Gradio's own
front-end module (the one its settings panel calls), so both halves always agree. Gradio
names the tabs only once, as it builds the page (often before that change of language), so
the tabs' names, like the words Gradio does not translate (tables' column names, the example
questions), come from the server as the page loads, in the request's language.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from kenning.ui.catalogues import CATALOGUES, COOKIE, DEFAULT, LANGUAGES, request_language, tr
from kenning.ui.render import esc

I18N = gr.I18n(**CATALOGUES)
ASSETS = Path(gr.__file__).parent / "templates" / "frontend" / "assets"


def label(key: str) -> gr.I18nData:
    """A component's text, translated in the browser."""
    return I18N(key)


def language(request: gr.Request | None) -> str:
    """The language of the reader behind a Gradio event."""
    if request is None:
        return DEFAULT
    return request_language(request.headers, request.cookies)


def gradio_core_module() -> str | None:
    """The file name of Gradio's front-end module that exports `changeLocale` (its name
    carries a content hash that changes with each Gradio release); None when none does."""
    for path in sorted(ASSETS.glob("core-*.js")):
        if "as changeLocale" in path.read_text(encoding="utf-8", errors="replace"):
            return path.name
    return None


def locale_js(ui_path: str) -> str:
    """The page's start-up script: the language chosen with the switch, if any, becomes
    Gradio's (it starts in the browser's) and the document's."""
    module = gradio_core_module()
    url = f"{ui_path.rstrip('/')}/assets/{module}" if module else ""
    return f"""() => {{
  const chosen = (document.cookie.match(/(?:^|; ){COOKIE}=([a-z]+)/) || [])[1];
  const lang = chosen || (navigator.language || "{DEFAULT}").split("-")[0];
  document.documentElement.lang = lang;
  if (chosen && "{url}") {{
    import("{url}").then((core) => core.changeLocale(chosen)).catch(() => {{}});
  }}
}}"""


# A click on a language of the switch stores it for a year and reloads the page in it.
SWITCH_JS = f"""
element.addEventListener('click', (event) => {{
  const choice = event.target.closest('button[data-lang]');
  if (!choice) return;
  document.cookie = `{COOKIE}=${{choice.dataset.lang}}; path=/; max-age=31536000; samesite=lax`;
  location.reload();
}});
"""


def header_html(lang: str) -> str:
    """The page's title line, with the language switch."""
    buttons = "".join(
        f'<button type="button" class="kn-lang" data-lang="{code}" lang="{code}" '
        f'aria-pressed="{str(code == lang).lower()}">{esc(name)}</button>'
        for code, name in LANGUAGES.items()
    )
    return f"""
<div id="kn-header">
  <div class="kn-header-row"><h1>Kenning</h1>
    <div class="kn-switch" role="group" aria-label="{esc(tr("language", lang))}">{buttons}</div>
  </div>
  <p>{esc(tr("tagline", lang))} <a href="/docs">{esc(tr("http_api", lang))}</a></p>
</div>"""
