"""Sphinx configuration of the book: the notebooks as ``rclib reproduce`` executed them, one profile at a time.

``make book`` (``rclib book --profile P``) copies these sources and ``build/notebooks/<P>/`` into a staging folder
and builds ``build/book/<P>/`` from it; nothing is executed here. Everything the pages load ships with the site:
MathJax 3 comes from the PyPI package ``sphinx-mathjax-offline`` and the theme bundles its fonts and scripts.
"""

project = "rclib: ReContrast, reproduced"
author = "the rclib authors"
html_title = project  # rclib book adds the profile

extensions = ["myst_nb", "sphinx-mathjax-offline"]
exclude_patterns = ["_generated"]  # included by the pages that show them

nb_execution_mode = "off"  # the book shows what reproduce executed
nb_ipywidgets_js = {}  # no widget manager from a CDN: notebook 06 stands a static figure in for its slider
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_theme_options = {"show_navbar_depth": 2, "show_toc_level": 2, "use_download_button": False}
html_show_sourcelink = False
html_copy_source = False


def setup(app) -> None:
    """MathJax on every page: the notebooks' titles, and so the navigation, hold equations."""
    app.set_html_assets_policy("always")
