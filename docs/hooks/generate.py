"""MkDocs hook: the pages and figures made from the code and the committed result files.

Named in ``mkdocs.yml`` (``hooks:``). At every build it

- writes the configuration reference from the config schemas and the provenance
  registry, and the command reference from the command line's parser
  (``sim.outputs.reference``), as pages under ``reference/``;
- draws the figures of the results and validation pages from ``results/example/``
  (``sim.outputs.result_pages.FIGURES``) under ``figures/``;
- fills each ``{{ name }}`` in a page from the same files
  (``sim.outputs.result_pages.FRAGMENTS``); an unknown name stops the build.

So no page, table or figure of the site is copied by hand from code or results.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]


def _importable() -> None:
    """Put this checkout first on the import path (MkDocs resets ``sys.path`` after loading a hook)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

FRAGMENT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

CONFIG_INTRO = (
    "Generated from the schema (`{schema}`) and the provenance registry (`configs/provenance.yaml`) "
    "each time the site is built. *Default* is the value in `{file}`; *provenance* is where it comes "
    "from: **[paper]** the Board paper, **[public]** public NHS statistics, **[assumed]** a placeholder "
    "to replace with local data, **[calibrated]** an assumed value tuned so today's pathway matches public "
    "figures (see [Calibration](../calibration.md)). A number in a path picks a position in a list "
    "(`slot_diaries.gpcg_sda.slots_per_day.6` is Sunday)."
)


def command_line_parser():
    """The command line's parser, from ``build_parser`` in ``sim.cli`` (a module or a package) or its ``parser``."""
    import importlib

    for name in ("sim.cli", "sim.cli.parser"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "build_parser"):
            return module.build_parser()
    raise PluginError("no build_parser in sim.cli or sim.cli.parser: the command reference cannot be made")


def reference_pages() -> dict[str, str]:
    """``{page path: Markdown}`` of every generated reference page."""
    from sim.inputs.business_case import WHOLE, BusinessCase
    from sim.inputs.config import SHIPPED_CONFIGS, Config, load_config, read_yaml_mapping
    from sim.inputs.provenance import load_registry
    from sim.inputs.reconciliation import ReconciliationInputs
    from sim.outputs.reference import command_reference, config_reference, schema_fields

    registry = load_registry()
    pages = {
        "reference/scenario-config.md": config_reference(
            "Scenario configuration", schema_fields(Config),
            load_config(SHIPPED_CONFIGS / "base.yaml").model_dump(), registry,
            intro=CONFIG_INTRO.format(schema="sim/inputs/schema.py", file="configs/base.yaml")
            + " `current.yaml` and `redesign.yaml` start with `extends: base.yaml` and change only what differs."),
        "reference/business-case-config.md": config_reference(
            "Business case inputs", schema_fields(BusinessCase, whole=WHOLE),
            read_yaml_mapping(SHIPPED_CONFIGS / "business_case.yaml"), registry, prefix="business_case.",
            intro=CONFIG_INTRO.format(schema="sim/inputs/business_case.py", file="configs/business_case.yaml")),
        "reference/reconciliation-config.md": config_reference(
            "Reconciliation inputs", schema_fields(ReconciliationInputs),
            read_yaml_mapping(SHIPPED_CONFIGS / "reconciliation.yaml"), registry, prefix="reconciliation.",
            intro=CONFIG_INTRO.format(schema="sim/inputs/reconciliation.py", file="configs/reconciliation.yaml")),
        "reference/commands.md": command_reference(
            command_line_parser(), intro="Generated from the command line's own parser (its `build_parser`) "
            "each time the site is built; `python run_sim.py COMMAND --help` prints the same. Run every command "
            "from the repository folder."),
    }
    return pages


def on_files(files, config):
    """Add the generated reference pages and the figures drawn from the result files."""
    _importable()
    from sim.outputs.result_pages import FIGURES, figure_png

    for path, text in reference_pages().items():
        files.append(File.generated(config, path, content=text))
    for name in FIGURES:
        files.append(File.generated(config, f"figures/{name}", content=figure_png(name)))
    return files


def on_page_markdown(markdown, page, config, files):
    """Fill every ``{{ name }}`` from the committed result files."""
    _importable()
    from sim.outputs.result_pages import EXAMPLE, FRAGMENTS

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in FRAGMENTS:
            raise PluginError(f"{page.file.src_uri}: unknown fragment {{{{ {name} }}}} "
                              f"(known: {', '.join(FRAGMENTS)})")
        return FRAGMENTS[name](EXAMPLE)

    return FRAGMENT.sub(fill, markdown)
