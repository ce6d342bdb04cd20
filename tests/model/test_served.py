"""The calibration fields every served model's config inherits (`model.served`)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from model import WEIGHTS, adapter, adult, checkpoint, ensemble, served


@pytest.mark.parametrize(("name", "cls"), [("adult", adult.Config), ("ensemble", ensemble.Config)])
def test_shipped_configs_read_back_to_the_same_flat_json(name: str, cls: type) -> None:
    raw = json.loads((WEIGHTS / f"{name}.json").read_text())
    config: object = checkpoint._from_json(cls, raw)
    assert isinstance(config, served.Calibration)
    assert json.dumps(dataclasses.asdict(config), sort_keys=True) == json.dumps(raw, sort_keys=True)


def test_binned_models_carry_the_interval_and_the_rest_keeps_its_order() -> None:
    assert issubclass(adult.Config, served.Binned) and issubclass(adapter.Config, served.Binned)
    assert not issubclass(ensemble.Config, served.Binned)
    first = [f.name for f in dataclasses.fields(ensemble.Config) if not f.kw_only][:2]
    assert first == ["cnn", "members"]  # inherited fields are keyword-only
    with pytest.raises(TypeError):
        served.Calibration(0.9)  # type: ignore[misc]
