"""The names that scenario and trial files use (docs/format.md). Names here are reserved and stable."""

from __future__ import annotations

SPECIES = ("human", "mouse")

TUMOURS = {
    "mouse": ("ct26", "tsa", "4t1", "b16f10", "mc38", "fsa", "67nr"),
    "human": (
        "nsclc", "melanoma", "hnscc", "breast", "colorectal", "prostate", "renal", "acc",
        "pancreas", "gbm", "hcc",
    ),
}

SITES_COMMON = (
    "lung", "liver", "brain", "bone", "adrenal", "lymph_node", "skin", "soft_tissue", "kidney",
    "breast", "head_neck", "pancreas", "prostate",
)
SITES = {"human": SITES_COMMON, "mouse": SITES_COMMON + ("flank", "leg")}

HOST_IMMUNE = ("competent", "t_cell_deficient", "cd8_depleted")

MECHANISMS = {
    "immunogenic_death": "M3",
    "interferon": "M4",
    "trex1": "M4",
    "priming": "M5",
    "ctla4": "M5",
    "trafficking": "M6",
    "pd1_axis": "M7",
    "suppression": "M8",
    "lymphocyte_kill": "M9",
    "occult_lesions": "M14",
}

SELECTORS = ("largest", "smallest", "all", "all_but_largest")

MODELS = ("abscopal", "Kosinsky2018")

MODALITIES = ("photon", "proton")

NOTICE = (
    "For research use only. abscopal is not a medical device and its results must not be used "
    "for treatment decisions."
)
