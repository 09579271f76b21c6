from __future__ import annotations

import numpy as np
import pytest

from kiosk.scanning.corpus import Sample, make_sample


@pytest.fixture(scope="session")
def good_sample() -> Sample:
    return make_sample(1, 11, condition="good", background="wood", kind="letter")


def sample(
    condition: str, background: str = "wood", kind: str = "id_card", index: int = 2
) -> Sample:
    return make_sample(index, 11, condition=condition, background=background, kind=kind)


def blank(h: int = 720, w: int = 1280, level: int = 120) -> np.ndarray:
    return np.full((h, w, 3), level, np.uint8)
