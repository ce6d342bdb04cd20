"""Pure model code: preprocessing, colour features, the Flax NNX regressors, Grad-CAM, intervals.

Nothing here touches Telegram, a database or the network; each model file does its own file
access in one `load`/`save` pair.
"""

from pathlib import Path

WEIGHTS = Path(__file__).parent / "weights"  # shipped inside the package; nothing is downloaded
