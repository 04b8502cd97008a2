"""EMR's instance-size weights (the NormalizedInstanceHours factors), spelled once.

Used by the cost model (to split a cluster's NormalizedInstanceHours across its instance groups) and
by the dev kit's emulator (to report NormalizedInstanceHours as EMR does). Source: the EMR management
guide, "Normalized instance hours": small = 1, each size up doubles, ``NxLarge`` = 8 x N.
"""

from __future__ import annotations

import re

SIZE_WEIGHTS: dict[str, float] = {
    "nano": 0.25,
    "micro": 0.5,
    "small": 1,
    "medium": 2,
    "large": 4,
    "xlarge": 8,
    "metal": 192,
}
_NXL = re.compile(r"([0-9]+)xlarge", re.ASCII)


def normalization_factor(instance_type: str) -> float | None:
    """EMR's NIH weight of ``instance_type`` (``m5.xlarge`` -> 8, ``m5.4xlarge`` -> 32), or None if the
    size is unknown."""
    size = instance_type.rsplit(".", 1)[-1]
    if size in SIZE_WEIGHTS:
        return float(SIZE_WEIGHTS[size])
    m = _NXL.fullmatch(size)
    return 8.0 * int(m.group(1)) if m else None
