"""The book of executed notebooks (``make book``): built from the notebooks as the smoke profile executed them
(the session's own smoke run, shared with tests/test_notebooks.py), opened from disk in headless Chromium
(Debian's, driven by Playwright). Every page renders with nothing fetched from outside the site, equations are
typeset by the MathJax that ships with it, figures load, and the navigation lists every notebook in course order."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import NOTEBOOKS, SmokeNotebooks, require

from rclib.batch.book import build_book, claims_table

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LOCAL = ("file:", "data:", "blob:", "about:")

# after the load event: what MathJax typeset (null: no MathJax), the images that did not load, the titles
PAGE_STATE = """async () => {
  const mathjax = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mathjax) await mathjax;
  const untypeset = [...document.querySelectorAll('article .math')].filter(m => !m.querySelector('mjx-container'));
  return {
    mathjax: Boolean(mathjax),
    math: document.querySelectorAll('article .math').length,
    untypeset: untypeset.map(m => m.textContent.slice(0, 60)),
    images: document.querySelectorAll('article img').length,
    broken: [...document.querySelectorAll('article img')].filter(i => !(i.complete && i.naturalWidth > 0))
      .map(i => i.getAttribute('src')),
    h1: (document.querySelector('article h1') || {textContent: ''}).textContent.replace('#', '').trim(),
    outputs: document.querySelectorAll('article .cell_output').length,
    rows: document.querySelectorAll('article table tbody tr').length,
  };
}"""
NAVIGATION = """() => [...document.querySelectorAll('nav.bd-docs-nav a')]
  .map(a => ({href: a.getAttribute('href'), text: a.textContent.trim()}))"""


# --- the build, without a browser ------------------------------------------------------------------------------
def test_missing_executed_notebooks_name_the_command(tmp_path):
    (tmp_path / "some").mkdir()
    shutil.copy(NOTEBOOKS[0], tmp_path / "some" / NOTEBOOKS[0].name)
    for executed, said in ((tmp_path / "none", "no executed notebooks in"), (tmp_path / "some", "lacks 14")):
        with pytest.raises(FileNotFoundError) as err:
            build_book("smoke", notebooks_dir=ROOT / "notebooks", executed=executed, out=tmp_path / "book")
        assert said in str(err.value) and "run `rclib reproduce --profile smoke`" in str(err.value)
        assert "\n" not in str(err.value)
    assert not (tmp_path / "book").exists()


def test_an_earlier_build_is_replaced_but_nothing_else(tmp_path):
    executed = tmp_path / "executed"
    executed.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, executed / path.name)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a Sphinx build"):
        build_book("smoke", notebooks_dir=ROOT / "notebooks", executed=executed, out=tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_claims_table_renders_every_part_or_says_what_writes_it(tmp_path):
    assert "`rclib reproduce --profile demo` writes it" in claims_table(tmp_path / "claims.csv", "demo")
    row = {
        "claim": "C2a",
        "paper": "Table 6: C worse than B (|d| > 0)",
        "n_seeds": 4,
        "plan_seeds": 4,
        "verdict": "reproduced",
    }
    rows = [{**row, "observed_mean": 3.21, "ci_low": 1.5, "ci_high": 4.9}, {**row, "claim": "C6", "n_seeds": 1}]
    pd.DataFrame(rows).to_csv(tmp_path / "claims.csv", index=False)
    table = claims_table(tmp_path / "claims.csv", "demo").splitlines()
    assert table[2] == "| C2a | Table 6: C worse than B (\\|d\\| > 0) | 4 of 4 | 3.21 [1.5, 4.9] | **reproduced** |"
    assert table[3].startswith("| C6 |") and "| one seed |" in table[3]
    assert table[-1] == "2 claim parts of the `demo` profile: 2 reproduced, 0 inconclusive, 0 not reproduced."


# --- the site in Chromium --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(smoke_notebooks: SmokeNotebooks, tmp_path_factory) -> Path:
    """The book of this session's smoke run, built as ``make book PROFILE=smoke`` builds it."""
    require(importlib.util.find_spec("myst_nb") is not None, "pip install 'rclib[book]' (Sphinx, MyST-NB)")
    failed = [run.copy.name for run in smoke_notebooks.all() if run.error]
    assert not failed, f"notebooks failed at smoke, so the book would show errors: {failed}"
    out = tmp_path_factory.mktemp("book") / "smoke"
    status = build_book(
        "smoke",
        sources=ROOT / "docs" / "book",
        notebooks_dir=ROOT / "notebooks",
        executed=smoke_notebooks.root,
        results_root=smoke_notebooks.root / "results",
        out=out,
    )
    assert status == 0, f"Sphinx exited {status}"
    return out


@pytest.fixture(scope="module")
def browser():
    require(
        CHROMIUM is not None, "no Chromium: apt-get install chromium (the test drives Debian's, not a downloaded one)"
    )
    require(importlib.util.find_spec("playwright") is not None, "pip install playwright (no browser download needed)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def pages(site: Path, browser) -> dict[str, dict]:
    """Every page of the site, opened in Chromium: its state after the load event and what it fetched."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    seen = {}
    for html in sorted(site.rglob("*.html")):
        requests.clear()
        page.goto(html.as_uri(), timeout=60_000)
        state = page.evaluate(PAGE_STATE)
        state["remote"] = [url for url in requests if not url.startswith(LOCAL)]
        if html.name == "index.html":
            state["navigation"] = page.evaluate(NAVIGATION)
        seen[html.relative_to(site).as_posix()] = state
    page.close()
    return seen


@pytest.mark.notebooks
def test_no_page_fetches_anything_from_outside_the_site(pages):
    remote = {name: state["remote"] for name, state in pages.items() if state["remote"]}
    assert not remote, f"pages that load from outside the site: {remote}"


@pytest.mark.notebooks
def test_index_notebook_and_claims_pages_render(pages, smoke_notebooks: SmokeNotebooks):
    assert pages["index.html"]["h1"] == "ReContrast, reproduced"
    for path in NOTEBOOKS:
        page = pages[f"notebooks/{path.stem}.html"]
        assert page["h1"].startswith(f"{path.stem[:2]} · "), f"{path.stem}: title {page['h1']!r}"
        assert page["outputs"] > 0, f"{path.stem} shows no executed output"
    claims = pd.read_csv(smoke_notebooks.root / "results" / "smoke" / "claims.csv")
    assert pages["claims.html"]["rows"] == len(claims) > 0, "the claims page does not show every claim part"


@pytest.mark.notebooks
def test_equations_are_typeset(pages):
    story = pages["notebooks/01_config_A_reverse_distillation.html"]
    assert story["mathjax"] and story["math"] > 0, "MathJax did not load on notebook 01, or it has no equation"
    untypeset = {name: state["untypeset"] for name, state in pages.items() if state["untypeset"]}
    assert not untypeset, f"equations MathJax did not typeset: {untypeset}"


@pytest.mark.notebooks
def test_figures_load(pages):
    assert pages["notebooks/00_quickstart.html"]["images"] > 0, "the quickstart shows no figure"
    broken = {name: state["broken"] for name, state in pages.items() if state["broken"]}
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.notebooks
def test_navigation_lists_every_notebook_in_course_order(pages):
    links = pages["index.html"]["navigation"]
    notebooks = [
        re.sub(r"\.html$", "", a["href"].removeprefix("notebooks/")) for a in links if "notebooks/" in a["href"]
    ]
    assert notebooks == [p.stem for p in NOTEBOOKS]
    parts = [a["text"] for a in links if re.fullmatch(r"part\d\.html", a["href"])]
    assert [t.split(" · ")[0] for t in parts] == [f"Part {i}" for i in range(1, 8)]
    assert all(len(t) <= 45 for t in parts), f"part titles too long for the navigation: {parts}"
