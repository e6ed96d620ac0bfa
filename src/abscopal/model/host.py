"""M12: host immune competence. A T-cell-deficient (nude, thymectomised) or CD8-depleted host has no
tumour-specific effector CD8 T cells: no priming output, no infiltrating effectors, and a lower ALC.
This removes the immune share of local control and every abscopal effect."""

from __future__ import annotations


def immune_factor(host: str) -> float:
    return 1.0 if host == "competent" else 0.0


def alc_fraction(host: str, values: dict[str, float]) -> float:
    if host == "t_cell_deficient":
        return values["t_cell_deficient_alc_fraction"]
    if host == "cd8_depleted":
        return 1.0 - values["cd8_alc_fraction"]
    return 1.0
