"""Every parameter and agent value carries a unit and a source or a stated assumption; every
parameter set gives a finite, non-negative default solve; docs/model.md lists them all."""

import math
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from abscopal.agents import all_agents
from abscopal.model.declarations import PARAMETERS, SITE_PARAMETERS
from abscopal.parameters import load_parameter_set, tumour_keys
from abscopal.parameters.store import load_shared, load_sites
from abscopal.units import convert_unit
from abscopal.vocabulary import SITES, TUMOURS

ROOT = Path(__file__).resolve().parents[2]


def _all_entry_tables():
    base = resources.files("abscopal")
    files = [p for p in Path(str(base)).rglob("*.toml")]
    assert len(files) >= 22
    for path in files:
        data = tomllib.loads(path.read_text())

        def walk(node, where):
            if isinstance(node, dict) and "value" in node and not isinstance(node["value"], dict):
                yield where, node
            elif isinstance(node, dict):
                for key, child in node.items():
                    yield from walk(child, f"{where}.{key}")
        yield from walk(data, path.name)


def test_every_value_has_unit_and_exactly_one_of_source_or_assumption():
    count = 0
    for where, entry in _all_entry_tables():
        count += 1
        assert isinstance(entry.get("unit"), str), f"{where}: no unit"
        has_source, has_assumption = bool(entry.get("source")), bool(entry.get("assumption"))
        assert has_source != has_assumption, f"{where}: needs exactly one of source / assumption"
        assert isinstance(entry["value"], (int, float)) and math.isfinite(entry["value"]), where
        text = entry.get("source") or entry.get("assumption")
        assert len(text) >= 15, f"{where}: source/assumption too short to be meaningful"
    assert count > 500


def test_contract_vocabulary_has_parameter_sets():
    for species, keys in TUMOURS.items():
        assert set(keys) <= set(tumour_keys(species)), species


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_every_declared_parameter_is_given_with_a_convertible_unit(species):
    for tumour in tumour_keys(species):
        pset = load_parameter_set(species, tumour)
        for p in PARAMETERS:
            assert p.name in pset.entries, f"{species}/{tumour}: {p.name} missing"
            value = pset[p.name].to(p.unit)
            assert math.isfinite(value) and value >= 0, f"{species}/{tumour}: {p.name} = {value}"
    sites = load_sites(species)
    assert set(SITES[species]) <= set(sites)
    for site, entries in sites.items():
        for p in SITE_PARAMETERS:
            assert p.name in entries, f"{species} site {site}: {p.name} missing"
            entries[p.name].to(p.unit)
    assert load_shared(species)


def test_units_of_parameter_files_are_checked_not_decorative():
    import pint

    with pytest.raises(pint.DimensionalityError):
        convert_unit(1.0, "Gy", "day")


def test_agents_have_units_sources_and_label_half_lives():
    agents = all_agents()
    assert len(agents) == 21
    for agent in agents:
        for name, entry in agent.entries.items():
            assert entry.source or entry.assumption, f"{agent.key}.{name}"
        # the two-compartment model reproduces the published terminal half-life (10%)
        assert agent.terminal_half_life() == pytest.approx(agent.value("half_life"), rel=0.10), agent.key


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_every_parameter_set_gives_a_finite_non_negative_default_solve(species):
    from abscopal.simulate import simulate_many
    from tests.helpers import human_base, mouse_base, scenario

    docs = []
    for tumour in tumour_keys(species):
        base = human_base if species == "human" else mouse_base
        doc = base(tumour=tumour, simulation={"duration": "60 days"},
                   radiotherapy=[{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}])
        docs.append(scenario(doc))
    for result in simulate_many(docs):
        tr = result.trajectory
        assert tr.status == "ok", result.scenario.tumour
        for arr in (tr.volume_mm3, tr.alc, tr.states):
            assert np.all(np.isfinite(arr)) and np.all(arr[..., :] >= -1e300)
        assert np.all(tr.volume_mm3 >= 0) and np.all(tr.alc >= 0)


def test_docs_model_lists_every_parameter_and_agent():
    text = (ROOT / "docs" / "model.md").read_text()
    for p in PARAMETERS + SITE_PARAMETERS:
        assert f"`{p.name}`" in text, p.name
    for agent in all_agents():
        assert agent.key in text, agent.key
