"""The notebooks run top to bottom on the bundled examples (outputs are stripped in git)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def test_notebook_prefill_confirm_agree_runs_and_shows_the_agreement():
    path = ROOT / "notebooks" / "01_prefill_confirm_agree.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        "outputs are stripped in git")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "delais_reponse" in text and "overrides" in text
    assert "Traceback" not in text
