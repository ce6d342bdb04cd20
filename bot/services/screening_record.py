"""A screening as storage keeps it: the pipeline's result less the image and the overlay."""

from __future__ import annotations

from bot.pipeline.result import Screening
from storage.screenings import ScreeningRecord


def screening_record(result: Screening) -> ScreeningRecord:
    """What storage keeps of a screening: everything but the image and the overlay."""
    risk = result.risk
    return ScreeningRecord(
        hb_g_dl=result.hb_g_dl,
        interval=result.interval,
        coverage=result.coverage,
        risk=risk.category,
        risk_group=risk.group,
        bands=risk.bands,
        straddles_threshold=risk.straddles,
        group_assumed=risk.assumed,
        warnings=result.warnings,
        attention_lower_half=result.attention_lower_half,
        model_version=result.model_version,
        image_source=result.source,
        segmentation_area=result.area_fraction,
        population=result.population,
        refer=result.refer,
    )
