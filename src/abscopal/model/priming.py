"""M5: dendritic-cell maturation, migration to the draining node, cross-priming and clonal expansion.

Mature antigen-loaded DCs from each lesion follow (turnover delta_M) the product of DC abundance (M11),
antigen uptake (M3) and danger/IFN maturation (M4), divided by 1 + g_M S_i: the lesion's suppression
(TGF-beta, IL-10; M8) inhibits DC maturation. The priming signal sums, over lesions, these DCs times the
function of the lesion's draining node (M9); CTLA-4 blockade multiplies it by 1 + g_C o_CTLA4 (CTLA-4
competes with CD28 for CD80/86; blockade also depletes Tregs, M8), and burden-driven systemic
suppression divides it by 1 + B/B_S (B the total tumour volume, M8). Naive T cells are activated with a
threshold: priming is k_P (ALC/ALC_ref)^n_A times the signal times the Hill factor 1/(1 + (s_T/signal)^n_P),
so a signal well below s_T primes almost nothing. Primed cells expand in the node, a fraction f of their
output re-invested in proliferation (raised towards f_max by IL-2, anti-OX40 and anti-CD137), and leave for
the blood at rate k_out.
"""

from __future__ import annotations
