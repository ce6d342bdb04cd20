"""The bot's own process imports the pipeline's types without JAX, Flax or OpenCV (they load in
the inference process), and serving never loads scikit-learn (only fitting does) nor, with the
shipped programs, Flax."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def loaded_after(code: str) -> set[str]:
    """Top-level modules imported (not merely set up to import) after running `code`."""
    probe = (
        f"{code}\nimport sys, types\n"
        "print(' '.join(n for n, m in sys.modules.items() if type(m) is types.ModuleType))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, check=True, capture_output=True, text=True
    )
    return {name.split(".")[0] for name in done.stdout.split()}


def test_the_pipeline_types_import_without_jax() -> None:
    code = (
        "from bot.pipeline.screening import Screener\n"
        "from bot.pipeline.result import Screening, advice_key\n"
        "from bot.pipeline.executor import make_pool\n"
        "from bot.pipeline.decode import ImageRejected, check_size"
    )
    assert not loaded_after(code) & {"jax", "flax", "cv2", "sklearn"}


def test_serving_never_imports_scikit_learn_nor_flax_with_the_shipped_programs() -> None:
    """The shipped weights' exported programs serve (`model.exported`): no Flax is imported."""
    loaded = loaded_after("from bot.pipeline.screening import Screener\nScreener()")
    assert "jax" in loaded and not loaded & {"sklearn", "flax"}


def test_the_bot_and_the_web_app_start_without_the_heavy_libraries() -> None:
    """Charts, /stats' demographics line and research cut-outs import their libraries when
    first used: the bot's own process starts without them."""
    loaded = loaded_after("import bot.cli.serve, bot.chat.application, bot.web.app")
    assert not loaded & {"jax", "flax", "cv2", "matplotlib", "sklearn", "scipy"}
