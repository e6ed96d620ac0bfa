"""Make ``reference_untreated.csv``: the untreated CT26 tumour volume of the public BioModels curation of
Kosinsky et al. 2018 (BIOMD0000000863), computed from the SBML alone, independently of abscopal.

How the numbers were made
-------------------------
* Input: ``BIOMD0000000863.xml`` in this folder, a verbatim copy (92,151 characters, SHA-256
  e74532bafccf977c45953264578434220f3dfb5fe24c12a199ebb46c51c7c8fe) of
  ``final/BIOMD0000000863/Kosinsky2018.xml`` in the GitHub repository ``sys-bio/temp-biomodels``
  (commit 1b5e06fc52fa815354384211d7caa2841d24bf1a), the SBML L2V4 model that BioModels curated as
  reproducing the control arm of Fig. 1 of Kosinsky Y et al., J Immunother Cancer 2018;6:17
  (curation notes: "Reproduced plot of Figure 1(a,b,control)", COPASI 4.24). BioModels content is
  public domain (CC0 1.0); the file carries no other licence text, so it is kept unmodified.
* The untreated model is simulated exactly as encoded: initial state TV = 15 uL, all other species
  0, compartment 1, ``radiation_Dose`` = 0 (assignment rule) and ``mAb`` = 0 (a constant parameter).
  With no radiation the DSB variable U stays 0, so the SBML's repair term ``tau*U`` (a units quirk: the
  paper's tau = 0.02 d is a repair *time*, the rate should be U/tau) has no effect on this curve.
* Primary integrator: libRoadRunner 2.x (CVODE BDF), relative tolerance 1e-12, absolute tolerance
  1e-14, output every 0.5 day from day 0 to day 60 (121 points).
* Independent cross-check (no SBML library): the XML is parsed with ``xml.etree``; function
  definitions, kinetic laws and parameters are evaluated by a small MathML interpreter written here;
  species derivatives are assembled from the reactions' stoichiometry; the ODEs are integrated with
  ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-12, atol 1e-12). The script refuses to write the CSV
  unless the two agree to a relative error below 1e-8 at every output time (measured when the file was
  made: 1.2e-10).
* Output: ``reference_untreated.csv`` with columns ``day`` and ``tumour_volume_uL`` = TV + TVd (the
  paper's total tumour volume TV_tot; TVd stays 0 without radiation), 12 significant digits.

Run: ``.venv/bin/python tests/data/kosinsky2018/make_reference.py`` (needs ``libroadrunner``; without
it the MathML/scipy path alone is used and the script says so).
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

HERE = Path(__file__).resolve().parent
SBML = HERE / "BIOMD0000000863.xml"
OUT = HERE / "reference_untreated.csv"
SHA256 = "e74532bafccf977c45953264578434220f3dfb5fe24c12a199ebb46c51c7c8fe"
TIMES = np.arange(0.0, 60.0 + 1e-9, 0.5)
SB = "{http://www.sbml.org/sbml/level2/version4}"
MML = "{http://www.w3.org/1998/Math/MathML}"


def with_roadrunner() -> np.ndarray | None:
    try:
        import roadrunner
    except ImportError:
        return None
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-14
    rr.integrator.maximum_num_steps = 1_000_000
    result = np.array(rr.simulate(float(TIMES[0]), float(TIMES[-1]), len(TIMES), ["time", "[TV]", "[TVd]"]))
    assert np.allclose(result[:, 0], TIMES, rtol=0, atol=1e-12)
    return result[:, 1] + result[:, 2]


# ----------------------------------------------------------------------------- MathML / xml.etree path
def _tag(element) -> str:
    return element.tag.replace(MML, "")


def _eval(node, env: dict, functions: dict) -> float:
    tag = _tag(node)
    if tag == "cn":
        return float(node.text.strip())
    if tag == "ci":
        return env[node.text.strip()]
    if tag != "apply":
        raise ValueError(f"unsupported MathML element {tag}")
    head, *args = list(node)
    op = _tag(head)
    if op == "ci":  # call of a function definition
        params, body = functions[head.text.strip()]
        values = [_eval(a, env, functions) for a in args]
        return _eval(body, dict(zip(params, values, strict=True)), functions)
    vals = [_eval(a, env, functions) for a in args]
    if op == "plus":
        return math.fsum(vals)
    if op == "times":
        return math.prod(vals)
    if op == "minus":
        return -vals[0] if len(vals) == 1 else vals[0] - vals[1]
    if op == "divide":
        return vals[0] / vals[1]
    if op == "power":
        return vals[0] ** vals[1]
    raise ValueError(f"unsupported MathML operator {op}")


def _math_child(element):
    math_el = element.find(f"{MML}math")
    children = list(math_el)
    assert len(children) == 1
    return children[0]


def with_mathml_and_scipy() -> np.ndarray:
    model = ET.parse(SBML).getroot().find(f"{SB}model")
    functions = {}
    for fd in model.iter(f"{SB}functionDefinition"):
        lam = _math_child(fd)
        parts = list(lam)
        params = [b.find(f"{MML}ci").text.strip() for b in parts if _tag(b) == "bvar"]
        functions[fd.get("id")] = (params, parts[-1])
    env = {c.get("id"): float(c.get("size")) for c in model.iter(f"{SB}compartment")}
    env.update({p.get("id"): float(p.get("value")) for p in model.iter(f"{SB}parameter")})
    rules = {r.get("variable"): _math_child(r) for r in model.iter(f"{SB}assignmentRule")}
    species = [s.get("id") for s in model.iter(f"{SB}species")]
    y0 = np.array([float(s.get("initialConcentration")) for s in model.iter(f"{SB}species")])
    reactions = []
    for reaction in model.iter(f"{SB}reaction"):
        stoich = {}
        for group, sign in (("listOfReactants", -1.0), ("listOfProducts", 1.0)):
            lst = reaction.find(f"{SB}{group}")
            if lst is None:
                continue
            for ref in lst.iter(f"{SB}speciesReference"):
                stoich[ref.get("species")] = stoich.get(ref.get("species"), 0.0) + sign * float(ref.get("stoichiometry", "1"))
        reactions.append((stoich, _math_child(reaction.find(f"{SB}kineticLaw"))))
    index = {s: k for k, s in enumerate(species)}

    def rhs(t, y):
        local = dict(env)
        local.update(zip(species, y, strict=True))
        for name, expr in rules.items():
            local[name] = _eval(expr, local, functions)
        dy = np.zeros_like(y)
        for stoich, law in reactions:
            rate = _eval(law, local, functions)  # amount/time; the compartment size is 1
            for sid, s in stoich.items():
                dy[index[sid]] += s * rate / env["compartment"]
        return dy

    sol = solve_ivp(rhs, (TIMES[0], TIMES[-1]), y0, method="DOP853", t_eval=TIMES, rtol=1e-12, atol=1e-12)
    assert sol.success, sol.message
    return sol.y[index["TV"]] + sol.y[index["TVd"]]


def main() -> int:
    digest = hashlib.sha256(SBML.read_bytes()).hexdigest()
    if digest != SHA256:
        print(f"warning: {SBML.name} has SHA-256 {digest}, not the recorded {SHA256}", file=sys.stderr)
    independent = with_mathml_and_scipy()
    primary = with_roadrunner()
    if primary is None:
        print("libroadrunner not installed: using the MathML/scipy integration alone", file=sys.stderr)
        primary = independent
    else:
        rel = np.max(np.abs(primary - independent) / np.abs(primary))
        print(f"libRoadRunner vs MathML/scipy: max relative difference {rel:.3e} over {len(TIMES)} times")
        if not rel < 1e-8:
            print("the two integrations disagree; reference not written", file=sys.stderr)
            return 1
    with OUT.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "tumour_volume_uL"])
        for t, v in zip(TIMES, primary, strict=True):
            writer.writerow([f"{t:g}", f"{v:.12g}"])
    print(f"wrote {OUT} ({len(TIMES)} rows); TV(60 d) = {primary[-1]:.6f} uL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
