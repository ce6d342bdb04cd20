"""How the CNN's epoch count was chosen: inner 4-fold CV inside outer fold 0's training set.

Outer fold 0's test images (seed 0, 5 folds) are never touched here, so the outer fold-0
figure in the model card is free of any choice. Run: python docs/tune_inner.py DATA_DIR
"""

import sys
import time
from pathlib import Path

import numpy as np

from bot.data import cpanemic, deduplicate, make_folds
from model import cnn, features, preprocess, train

samples, _ = deduplicate(cpanemic.load(Path(sys.argv[1])))
cfg = cnn.Config()
rows = []
for s in samples:
    im, m = preprocess.crop(s.image, s.mask)
    rows.append((preprocess.to_input(im, m, cfg.height, cfg.width), features.colour_features(im, m),
                 preprocess.meta_vector(s.age_months, s.sex)))
data = train.Arrays(*(np.stack(c) for c in zip(*rows)), np.array([s.hb for s in samples], np.float32))
outer = make_folds(samples, k=5, seed=0)
inner_idx = np.nonzero(outer != 0)[0]
inner_samples = [samples[i] for i in inner_idx]
inner = make_folds(inner_samples, k=4, seed=1)
for epochs in (int(e) for e in sys.argv[2:] or ("30", "60", "120")):
    t = time.time()
    pred = np.zeros(len(inner_idx))
    for f in range(4):
        tr, va = inner_idx[inner != f], inner_idx[inner == f]
        model = train.fit(cfg, train.TrainConfig(epochs=epochs), data.take(tr), seed=0)
        pred[inner == f] = train.predict(model, data.take(va))
    y = data.hb[inner_idx]
    print(f"epochs={epochs} inner MAE={np.abs(pred - y).mean():.3f} r={np.corrcoef(pred, y)[0, 1]:.3f}"
          f" ({time.time() - t:.0f} s)", flush=True)
