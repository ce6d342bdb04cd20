"""The seed ensemble: averaging, assembling trained members, and its checkpoint round trip."""

from __future__ import annotations

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest

from model import cnn, ensemble, train
from tests.model.synthetic import FAST, TINY, forward, random_inputs


@pytest.fixture(scope="module")
def members() -> list[cnn.Model]:
    """A briefly trained member and a freshly initialised one with its own data statistics."""
    rng = np.random.default_rng(0)
    x, colour, meta = random_inputs(rng, 32)
    hb = (11.0 + 2.0 * x[..., 1].mean(axis=(1, 2)) + rng.normal(0, 0.5, 32)).astype(np.float32)
    first = train.fit(TINY, FAST, train.Arrays(x, colour, meta, hb), seed=1)
    second = cnn.build(TINY, seed=2)  # a second fit would only cost another compile
    train.set_statistics(second, train.Arrays(x, colour * 2.0 + 1.0, meta, hb + 1.0))
    second.eval()
    return [first, second]


def _batch(seed: int = 1, n: int = 4):
    return tuple(jnp.asarray(a) for a in random_inputs(np.random.default_rng(seed), n))


def test_ensemble_output_is_the_mean_of_its_members(members) -> None:
    model = ensemble.assemble(ensemble.Config(cnn=TINY, members=2), members)
    x, colour, meta = _batch()
    out, feats = forward(model, x, colour, meta)
    each = [np.asarray(forward(m, x, colour, meta)[0]) for m in members]
    assert not np.allclose(each[0], each[1])  # the members really differ
    assert out.shape == (4,)
    np.testing.assert_allclose(np.asarray(out), np.mean(each, axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(feats["members"]), np.stack(each), rtol=1e-5, atol=1e-5)
    assert feats["last_conv"].shape == (2, 4, 8, 16, TINY.channels[-1])
    # head maps the stacked feature maps back to the same estimate (what Grad-CAM relies on)
    np.testing.assert_allclose(
        np.asarray(model.head(feats["last_conv"], x, colour, meta)), np.asarray(out), rtol=1e-5
    )


def test_assemble_copies_weights_and_statistics(members) -> None:
    model = ensemble.assemble(ensemble.Config(cnn=TINY, members=2), members)
    for slot, trained in zip(model.members, members, strict=True):
        for name in ("colour_mean", "colour_std", "hb_mean", "hb_std"):
            np.testing.assert_array_equal(
                np.asarray(getattr(slot, name)[...]), np.asarray(getattr(trained, name)[...])
            )
        np.testing.assert_array_equal(
            np.asarray(slot.out.kernel[...]), np.asarray(trained.out.kernel[...])
        )
    x, colour, meta = _batch(2)
    before = np.asarray(forward(model, x, colour, meta)[0])
    # the ensemble holds copies: later changes to a member object do not leak into it
    saved = members[0].hb_mean[...]
    members[0].hb_mean[...] = jnp.asarray(100.0)
    try:
        np.testing.assert_array_equal(np.asarray(forward(model, x, colour, meta)[0]), before)
    finally:
        members[0].hb_mean[...] = saved


def test_assemble_needs_one_member_per_slot(members) -> None:
    with pytest.raises(ValueError):
        ensemble.assemble(ensemble.Config(cnn=TINY, members=3), members)


def test_save_load_round_trip_with_config(tmp_path, members) -> None:
    config = ensemble.Config(
        cnn=TINY,
        members=2,
        coverage=0.8,
        half_width=1.37,
        attention_threshold=0.35,
        refer_margin=0.45,
        version="2025-01-test",
        population="somewhere",
    )
    model = ensemble.assemble(config, members)
    ensemble.save(model, tmp_path)
    raw = json.loads((tmp_path / "ensemble.json").read_text())
    assert raw["half_width"] == 1.37
    assert raw["cnn"]["channels"] == [8, 8]

    loaded = ensemble.load(tmp_path)
    assert loaded.config == config
    assert isinstance(loaded.config.cnn, cnn.Config)
    assert loaded.config.cnn.channels == (8, 8)
    assert isinstance(loaded.config.cnn.channels, tuple)
    assert loaded.config.half_width == 1.37
    assert loaded.config.version == "2025-01-test"

    x, colour, meta = _batch(3)
    a, fa = forward(model, x, colour, meta)
    b, fb = forward(loaded, x, colour, meta)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(fa["members"]), np.asarray(fb["members"]))
    # ready for inference: dropout off, repeated calls agree
    np.testing.assert_array_equal(np.asarray(forward(loaded, x, colour, meta)[0]), np.asarray(b))


def test_untrained_half_width_nan_survives_round_trip(tmp_path) -> None:
    config = ensemble.Config(cnn=TINY, members=1)
    ensemble.save(ensemble.build(config), tmp_path, name="blank")
    loaded = ensemble.load(tmp_path, name="blank")
    assert math.isnan(loaded.config.half_width)
    assert loaded.config.version == "untrained"
    assert loaded.config.cnn == TINY


def test_config_fields_missing_from_old_json_keep_their_defaults(tmp_path, members) -> None:
    config = ensemble.Config(cnn=TINY, members=2, half_width=2.0, version="old")
    ensemble.save(ensemble.assemble(config, members), tmp_path)
    path = tmp_path / "ensemble.json"
    raw = json.loads(path.read_text())
    del raw["attention_threshold"]
    del raw["cnn"]["dropout"]
    path.write_text(json.dumps(raw))
    loaded = ensemble.load(tmp_path)
    assert loaded.config.attention_threshold == ensemble.Config().attention_threshold
    assert loaded.config.cnn.dropout == cnn.Config().dropout
    assert loaded.config.half_width == 2.0
