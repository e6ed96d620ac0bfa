"""Apply registration APM (docs/calibration.md, 2026-12-07) to a tree: each human type's antigenicity becomes
(TMB / 13.5) x (APS_type / APS_melanoma), APS = the median antigen-presentation score of Wang S et al. eLife
2019;8:e49020 (data/summary_data_new_20190411.csv of github.com/XSLiuLab/tumor-immunogenicity-score, column Pool_APM).
Colorectal cancer has no row: its value stays and its note says why.

    .venv/bin/python calibration/candidates/2026-12-07_antigen_presentation_APM_apply.py <tree>
"""

import re
import sys
from pathlib import Path

APS = {"melanoma": ("Melanoma", 0.6719016), "acc": ("Adrenocortical Carcinoma", 0.4436434),
       "breast": ("Breast Carcinoma", 0.3211102), "cervix": ("Cervical Cancer", 0.7340055),
       "gbm": ("Glioblastoma", 0.2699075), "hnscc": ("Head and Neck", 0.7336607),
       "hcc": ("Hepatocellular Carcinoma", 0.7651938), "nsclc": ("NSCLC", 0.5265),
       "pancreas": ("Pancreatic Cancer", 0.488062), "prostate": ("Prostate Cancer", 0.3467583),
       "renal": ("Renal Cell Carcinoma", 0.6606)}
MEL = APS["melanoma"][1]
NO_ROW = ("No antigen-presentation score for colorectal cancer in Wang S et al. eLife 2019;8:e49020 (its table leaves the "
          "type out), so the APM rule (registration APM, docs/calibration.md, 2026-12-07) keeps the TMB rule alone here "
          "(factor 1, assumption)")


def rewrite(key: str, text: str) -> str:
    line = re.search(r"^antigenicity = \{.*\}$", text, re.M).group(0)
    tmb = float(re.search(r"^tmb = \{ value = ([0-9.eE+-]+)", text, re.M).group(1))
    if key not in APS:
        new = (line.replace(', note = "', f', note = "{NO_ROW}. ', 1) if ', note = "' in line
               else line[:-2] + f', note = "{NO_ROW}" }}')
        return text.replace(line, new)
    name, aps = APS[key]
    factor = aps / MEL
    if key == "melanoma":
        source = ("derived: the reference type of both rules, TMB 13.5 /Mb (a_g = TMB/13.5; Yarchoan M et al. N Engl J Med "
                  "2017;377:2500-1) and the antigen-presentation score of Wang S et al. eLife 2019;8:e49020 (0.6719, the "
                  "reference of the APM rule; registration APM, docs/calibration.md)")
    else:
        source = (f"derived by two rules: the type's median TMB ({tmb:g} /Mb, the tmb entry) relative to melanoma's 13.5 /Mb "
                  f"(a_g = TMB/13.5; Yarchoan M et al. N Engl J Med 2017;377:2500-1) times its antigen-presentation score relative to "
                  f"melanoma's, {aps:.4f} / {MEL:.4f} = {factor:.3f} (median normalised 18-gene APM score of TCGA primary tumours, row "
                  f'\\"{name}\\" of Wang S et al. eLife 2019;8:e49020, data/summary_data_new_20190411.csv of github.com/XSLiuLab/'
                  f"tumor-immunogenicity-score, read 2026-12-07; registration APM, docs/calibration.md): {tmb / 13.5:.3f} x {factor:.3f}")
    old_source = re.search(r'source = "((?:[^"\\]|\\.)*)"', line).group(0)
    new = re.sub(r"value = [0-9.eE+-]+", f"value = {round(tmb / 13.5 * factor, 3)}", line, count=1)
    return text.replace(line, new.replace(old_source, f'source = "{source}"'))


def main() -> None:
    for path in sorted((Path(sys.argv[1]) / "src/abscopal/parameters/tumours/human").glob("*.toml")):
        path.write_text(rewrite(path.stem, path.read_text()))


if __name__ == "__main__":
    main()
