"""Pure model code: preprocessing, colour features, the Flax NNX regressors, Grad-CAM, intervals.

Nothing here touches Telegram, a database or the network; each model file does its own file
access in one `load`/`save` pair.
"""
