"""How the CNN's epoch count was chosen: inner 4-fold CV inside outer fold 0's training set.

Outer fold 0's test images (seed 0, 5 folds) are never touched here, so the outer fold-0
figure in the model card is free of any choice made by us.
Run: python docs/tune_inner.py ../shared/data/cp-anemic 30 60 120
"""

import sys
import time
from pathlib import Path

import numpy as np

from bot.training.data import cpanemic, deduplicate, make_folds
from bot.training.evaluate import prepare
from model import cnn, train

samples, _ = deduplicate(cpanemic.load(Path(sys.argv[1])))
cfg = cnn.Config()
data = prepare(samples, cfg)
outer = make_folds(samples, k=5, seed=0)
inner_idx = np.nonzero(outer != 0)[0]
inner = make_folds([samples[i] for i in inner_idx], k=4, seed=1)
for epochs in (int(e) for e in sys.argv[2:] or ("30", "60", "120")):
    t = time.time()
    pred = np.zeros(len(inner_idx))
    for f in range(4):
        tr, va = inner_idx[inner != f], inner_idx[inner == f]
        model = train.fit(cfg, train.TrainConfig(epochs=epochs), data.take(tr), seed=0)
        pred[inner == f] = train.predict(model, data.take(va))
    y = data.hb[inner_idx]
    mae, r = np.abs(pred - y).mean(), np.corrcoef(pred, y)[0, 1]
    print(f"epochs={epochs} inner MAE={mae:.3f} r={r:.3f} ({time.time() - t:.0f} s)", flush=True)
