"""``describe()``: the flagship model's mechanisms, equations and parameters (value, unit, source)."""

from __future__ import annotations

import importlib

from .declarations import PARAMETERS, SITE_PARAMETERS

MECHANISM_MODULES = [
    ("M1", "Tumour growth", "growth"),
    ("M2", "Radiation cell kill (LQ, doomed compartment)", "radiation"),
    ("M3", "Immunogenic cell death", "immunogenic_death"),
    ("M4", "Type I interferon, cGAS-STING and the Trex1 ceiling", "interferon"),
    ("M5", "Dendritic cells, priming and CTLA-4", "priming"),
    ("M6", "Circulation and trafficking to every lesion", "trafficking"),
    ("M7", "Killing and the PD-1/PD-L1 axis", "killing"),
    ("M8", "Immunosuppression", "suppression"),
    ("M9", "Lymphocyte radiosensitivity and ALC", "lymphocytes"),
    ("M10", "Drug pharmacokinetics and occupancy", "pharmacokinetics"),
    ("M12", "Host immune competence", "host"),
    ("M14", "Occult lesions", "occult"),
]


def describe(species: str = "human", tumour: str = "nsclc", *, markdown: bool = False, file=None) -> str:
    """Return (and print unless ``file is False``) the model description with one parameter set's values."""
    from ..parameters import load_parameter_set

    pset = load_parameter_set(species, tumour)
    out = [f"# The abscopal flagship model (values: {species}/{tumour})", ""]
    for number, title, module in MECHANISM_MODULES:
        doc = importlib.import_module(f"abscopal.model.{module}").__doc__ or ""
        out += [f"## {number}: {title}", "", "```", doc.strip(), "```", ""]
        params = [p for p in PARAMETERS if p.mechanism == number]
        if params:
            out += ["| parameter | symbol | value | unit | scope | meaning | source |", "|---|---|---|---|---|---|---|"]
            for p in params:
                e = pset[p.name]
                out.append(f"| `{p.name}` | {p.symbol} | {e.value:.4g} | {e.unit} | {p.scope} | {p.description} | {e.provenance} |")
            out.append("")
    out += ["## M11: other immune agents", "", "Agents act through their target's occupancy: see `abscopal agents` and docs/agents.md.", ""]
    params = [p for p in PARAMETERS if p.mechanism == "M11"]
    out += ["| parameter | symbol | value | unit | meaning | source |", "|---|---|---|---|---|---|"]
    for p in params:
        e = pset[p.name]
        out.append(f"| `{p.name}` | {p.symbol} | {e.value:.4g} | {e.unit} | {p.description} | {e.provenance} |")
    out += ["", "## Readouts and limits", "", "| parameter | value | unit | meaning | source |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        if p.mechanism in ("readout", "limits"):
            e = pset[p.name]
            out.append(f"| `{p.name}` | {e.value:.4g} | {e.unit} | {p.description} | {e.provenance} |")
    out += ["", "## Site parameters (per lesion site)", "", "| parameter | symbol | unit | meaning |", "|---|---|---|---|"]
    for p in SITE_PARAMETERS:
        out.append(f"| `{p.name}` | {p.symbol} | {p.unit} | {p.description} |")
    text = "\n".join(out)
    if file is not False:
        print(text, file=file)
    return text
