"""Small builders shared by tests: scenarios from dicts, without files."""

from __future__ import annotations

import copy

from abscopal.scenario.load import parse_scenario


def human_base(**changes) -> dict:
    doc = {
        "abscopal": 1, "name": "test", "species": "human", "tumour": "nsclc",
        "patient": {"lesions": [
            {"id": "lung1", "site": "lung", "diameter": "28 mm"},
            {"id": "liver1", "site": "liver", "diameter": "18 mm"},
            {"id": "adrenal1", "site": "adrenal", "diameter": "15 mm"},
        ]},
        "mechanisms": {"occult_lesions": False},
        "simulation": {"duration": "120 days"},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def mouse_base(**changes) -> dict:
    doc = {
        "abscopal": 1, "name": "test", "species": "mouse", "tumour": "tsa",
        "patient": {"lesions": [
            {"id": "primary", "site": "flank", "volume": "60 mm^3"},
            {"id": "secondary", "site": "flank", "volume": "40 mm^3"},
        ]},
        "simulation": {"duration": "30 days"},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def scenario(doc: dict):
    return parse_scenario(copy.deepcopy(doc))
