"""The UI's stylesheet and theme. Colours come from the Gradio theme, so dark mode works too."""

from __future__ import annotations

from typing import Any

import gradio as gr

CSS = """
/* Gradio's subdued grey is too faint to read comfortably; these meet WCAG AA contrast. */
.gradio-container { --kn-muted: #52525b; }
.dark .gradio-container, .gradio-container.dark { --kn-muted: #a1a1aa; }
.gradio-container { max-width: 1280px !important; width: 100% !important;
  margin: 0 auto !important; }
.kn-panel { color: var(--body-text-color); font-size: var(--text-md); line-height: 1.5; }
.kn-panel a { color: var(--link-text-color); }
.kn-panel a:visited { color: var(--link-text-color-visited); }
.kn-data .virtual-row, .kn-data .cell-wrap, .kn-data th, .kn-data td {
  font-family: var(--font) !important; }
#kn-header h1 { margin: 0; font-size: 1.6rem; font-weight: 700; }
.kn-panel h2, .kn-panel h3 { font-weight: 600; }
#kn-header p { margin: 0.2rem 0 0; color: var(--kn-muted); }
.kn-subheading p { font-size: 1.05rem; font-weight: 600; margin: 1rem 0 0.2rem; }
.kn-hint p { color: var(--kn-muted); font-size: 0.85rem; margin: 0.6rem 0 0; }
.kn-note { padding: 0.6rem 0.8rem; border-radius: 6px; margin: 0.3rem 0;
  background: var(--block-background-fill); border: 1px solid var(--border-color-primary); }
.kn-error { border-color: #d9534f; color: var(--body-text-color); background: #d9534f1a; }
.kn-ok { border-color: #2e8b57; background: #2e8b571a; }
.kn-answer { font-size: 1.05rem; line-height: 1.6; padding: 0.9rem 1rem; border-radius: 8px;
  border: 1px solid var(--border-color-primary); background: var(--block-background-fill); }
.kn-answer p { margin: 0; }
.kn-abstained { border-style: dashed; }
.kn-streaming p::after { content: "▍"; opacity: 0.6; }
a.kn-cite { font-weight: 600; text-decoration: none; padding: 0 0.1rem; border-radius: 3px;
  color: var(--color-accent); }
a.kn-cite:hover, a.kn-cite:focus-visible { background: var(--color-accent-soft); }
.kn-sources h3, .kn-experts h3, .kn-list h3, .kn-topics h3 { margin: 1rem 0 0.5rem;
  font-size: 1.05rem; }
.kn-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.7rem 0.9rem; margin-bottom: 0.7rem; background: var(--block-background-fill); }
.kn-card header { display: flex; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; }
.kn-card .kn-title { font-weight: 600; }
.kn-source:target, .kn-source:focus { outline: 2px solid var(--color-accent);
  outline-offset: 2px; }
.kn-num { font-weight: 700; color: var(--color-accent); }
.kn-location, .kn-speakers, .kn-meta { font-size: 0.85rem;
  color: var(--kn-muted); margin-top: 0.2rem; }
.kn-snippet { margin: 0.5rem 0; padding: 0.4rem 0.7rem;
  border-left: 3px solid var(--border-color-accent); font-size: 0.92rem; line-height: 1.5; }
.kn-snippet > :first-child { margin-top: 0; }
.kn-snippet > :last-child { margin-bottom: 0; }
.kn-snippet p, .kn-snippet ul, .kn-snippet ol { margin: 0.3rem 0; }
.kn-snippet ul, .kn-snippet ol { padding-left: 1.3rem; }
.kn-snippet h1, .kn-snippet h2, .kn-snippet h3, .kn-snippet h4, .kn-snippet h5,
.kn-snippet h6 { font-size: 0.95rem; font-weight: 600; margin: 0.5rem 0 0.2rem; }
.kn-snippet table { border-collapse: collapse; margin: 0.4rem 0; font-size: 0.88rem; }
.kn-snippet th, .kn-snippet td { border: 1px solid var(--border-color-primary);
  padding: 0.2rem 0.5rem; text-align: left; }
.kn-snippet code { font-family: var(--font-mono); font-size: 0.85em; }
.kn-snippet mark { background: #ffe58f; color: #1f1f1f; padding: 0 0.1rem; border-radius: 2px; }
.kn-snippet mark.kn-quote { font-weight: 700; }
.kn-header-row { display: flex; align-items: center; justify-content: space-between;
  gap: 1rem; flex-wrap: wrap; }
.kn-switch { display: flex; gap: 0.3rem; }
button.kn-lang { font-size: 0.85rem; padding: 0.15rem 0.6rem; border-radius: 999px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); cursor: pointer; }
button.kn-lang[aria-pressed="true"] { background: var(--color-accent-soft); font-weight: 600; }
.kn-open { font-size: 0.9rem; }
.kn-badge { display: inline-block; font-size: 0.75rem; padding: 0.05rem 0.45rem;
  border-radius: 999px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); white-space: nowrap; }
.kn-kind-document { background: #e6f0ff; color: #1d3f77; border-color: #b6cdf5; }
.kn-kind-meeting { background: #e9f7ef; color: #1e5b3a; border-color: #b5e0c6; }
.kn-kind-transcript { background: #f3ecff; color: #4b2a86; border-color: #d4c3f3; }
.kn-kind-retrospective { background: #fff3e0; color: #7a4a00; border-color: #f3d3a1; }
.kn-stale { background: #fdecea; color: #8a1c12; border-color: #f3b8b1; }
.kn-expert ul, .kn-topic ul, .kn-list ul { margin: 0.2rem 0 0; padding-left: 1.2rem; }
.kn-expert li, .kn-list li, .kn-topic li { margin: 0.15rem 0; }
.kn-why, .kn-evidence { font-size: 0.9rem; margin-top: 0.3rem; }
.kn-role { font-size: 0.78rem; color: var(--kn-muted); }
.kn-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
  gap: 0.7rem; }
.kn-list ul { list-style: none; padding-left: 0; }
.kn-list li { padding: 0.35rem 0; border-bottom: 1px solid var(--border-color-primary); }
.kn-overview { font-size: 0.95rem; color: var(--kn-muted); margin: 0.2rem 0; }
.kn-person h2 { margin: 0 0 0.2rem; font-size: 1.5rem; }
.kn-person h3 { font-size: 1.05rem; margin: 1rem 0 0.4rem; }
.kn-topics-line { margin: 0.5rem 0; line-height: 1.9; }
.kn-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
  gap: 1rem; }
.kn-table { width: 100%; border-collapse: collapse; font-size: 0.92rem; margin-top: 1rem; }
.kn-table caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
.kn-table th, .kn-table td { text-align: left; padding: 0.3rem 0.5rem; border: none;
  border-bottom: 1px solid var(--border-color-primary); }
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible, input:focus-visible,
textarea:focus-visible { outline: 2px solid var(--color-accent) !important;
  outline-offset: 2px; }
"""

# A click (or Enter) on a person's name opens their page inside the app instead of reloading
# it: a reload would cut off the page's requests still in flight. Modified clicks keep the
# link's own behaviour, so "open in new tab" still works.
PERSON_LINKS_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-person]');
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  window.scrollTo({top: 0});
  trigger('click', {person: link.dataset.person});
});
"""


def theme() -> gr.themes.Base:
    """Gradio's default theme with system fonts, so the page loads nothing from outside."""
    system = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial",
              "sans-serif"]  # fmt: skip
    mono = ["ui-monospace", "SFMono-Regular", "Consolas", "Liberation Mono", "monospace"]
    return gr.themes.Default(primary_hue="indigo", font=system, font_mono=mono)


def panel(
    value: str = "", person_links: bool = False, script: str | None = None, **kwargs: Any
) -> gr.HTML:
    """An HTML panel styled by this stylesheet alone (Gradio's defaults pad links as buttons).

    Args:
        value: the HTML.
        person_links: make clicks on its people's names fire the panel's click event.
        script: run when the panel is shown, with `element` set (instead of `person_links`).
        **kwargs: passed on to `gr.HTML`.
    """
    classes = ["kn-panel", *kwargs.pop("elem_classes", [])]
    script = script or (PERSON_LINKS_JS if person_links else None)
    return gr.HTML(value, js_on_load=script, apply_default_css=False, elem_classes=classes,
                   **kwargs)  # fmt: skip
