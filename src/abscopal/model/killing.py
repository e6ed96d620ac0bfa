"""M7: killing of tumour cells by effector T cells, inhibited by PD-1/PD-L1 (adaptive resistance).

The effector:target ratio of a lesion counts its viable cells plus w_D times its doomed cells (a lethally
irradiated cell still draws effector engagement, w_D relative to a viable cell, but is not killed again:
killing acts on the viable cells only), with a floor of 1e-9 cells. Killing per viable cell is mass action in
that ratio, scaled by the subject's recognition r (below), and saturates in the recognised ratio r x ratio at q_s,
so that, before the PD-L1 and suppression factors below, the largest kill per viable cell is k_K q_s whatever the
recognition. Recognition sets how often a target is hit; how fast a hit target dies is the killing machinery's:
death needs about three hits within a few hours (Weigelin B et al. Nat Commun 2021, PMC8410835: a target under
attack can die within about 3 h, up to about 8 deaths per day), and a kill takes about 6 h in vivo (Breart B et al.
J Clin Invest 2008;118:1390: about 4 per day); k_K q_s is 5-6 per day with the file values (adopted 2026-12-06 as
QR, docs/calibration.md). Killing is reduced by unblocked engaged PD-L1 (h_L + (1 - h_L) times the tumour's
PD-L1 level, times the unblocked shares of PD-1 and PD-L1, at most p_max; h_L is the share from PD-L1 on host
myeloid cells and dendritic cells, which blockade
reaches whatever the tumour cells express: Tang H et al. J Clin Invest 2018;128:580) and by
local suppression 1/(1 + S_i), and absent in an immune-deficient host (M12). PD-L1 follows (rate k_L) its
baseline P_0 raised by IFN-gamma of infiltrating T cells (g_L, half at q_L) and by the radiation IFN signal
(g_R, M4). Effectors enter by trafficking (M6), proliferate inside the lesion at r_E r reduced by engaged
PD-L1, suppression and antigen competition (q_E), faster under IL-2 (times 1 + g_I2 o_IL2: IL-2 is the
T-cell growth factor, M11), and die at delta_E, more with engaged PD-L1 (exhaustion
x_E). The intratumoural proliferation term is the lever of PD-1/PD-L1 blockade: with PD-L1 engaged and
suppression high, loss exceeds proliferation; blockade lets effectors expand until antigen competition
balances loss. Their net per-capita rate apart from influx is one quantity of the equations
(effector_net_rate); the presentation rule of virtual populations evaluates that same quantity at baseline
(population.escape_margin). A lesion that appears (M14) starts with q_0 effectors per viable cell.

IFN-gamma field (registration IGL, docs/calibration.md, 2026-12-07): effector T cells act beyond the cells they
touch. Their IFN-gamma spreads through the lesion, G = ratio/(ratio + q_L), the one field that also raises PD-L1
(above), and arrests tumour cells in G1: a lesion's growth is multiplied by 1 - c_G G. How much a saturating field
arrests is the line's own IFN-gamma sensitivity, c_G, read from its measured antiproliferative response: B16-F10 0.7
(60-81% in vitro), TS/A 0 (no change in proliferation); lines without a measurement take the median of the measured
lines of the species (B16, TS/A, 3LL, EL4: 0), and human types are 0 until a registration sets them (human panels
range 0-90% within a type). In B16 under transferred
tumour-specific T cells, far fewer than the tumour cells, growth suppression was largely G1 arrest rather than
killing, and neutralising IFN-gamma prevented both (Matsushita H et al. Cancer Immunol Res 2015;3:26); T cells that
recognise a minor fraction of tumour cells make a large part of the tumour mass sense IFN-gamma, over >800 um, and
slow the growth of antigen-negative bystanders (Hoekstra ME et al. Nat Cancer 2020;1:291); IFN-gamma with TNF arrests
cancer cells permanently (Braumueller H et al. Nature 2013;494:361). So a lesion's T cells hold its growth at
effector:target ratios far below those at which they kill it cell by cell, which is how a few T cells can make most
of a mouse tumour's response to a single ablative dose depend on them (Lee Y et al. Blood 2009;114:589). Without
effectors (a T-cell-deficient or CD8-depleted host) the field is 0 and growth is unchanged.

Recognition: the subject's antigenicity a_g (M3: 1 = the highly immunogenic reference, scaled by the
patient's TMB) sets the recognition r = a_g (1 + K_R)/(a_g + K_R), which multiplies the antigen-driven expansion
of effectors in the lesion and the hit rate of killing (all of killing below the ceiling k_K q_s); r is 1 at
a_g = 1 and saturates: a T cell needs one antigen it recognises on a cell, not many, so recognition grows less
than in proportion to the antigen load
(before the seventh session of 2026-12-04 r was a_g itself, which cut killing five-fold in B16-F10, a_g 0.2,
whose irradiated tumours are controlled by CD8 T cells: Lee Y et al. Blood 2009;114:589). A
cell kills, and divides on, only the tumour cells whose antigens it recognises, and tumours with few
neoantigens sustain little T-cell expansion: checkpoint-inhibitor response rates across tumour types rise
with their mutational burden (Yarchoan M et al. N Engl J Med 2017;377:2500, PMC6549688; r = 0.74 over 27
types), and microsatellite-stable colorectal and pancreatic cancers barely respond to PD-1 blockade
(Le DT et al. N Engl J Med 2015;372:2509). Before 2026-12-04 a_g entered only the antigen released for
priming (M3), where DC uptake saturates, so a cold tumour type was killed as fast as a hot one once T
cells arrived. Now a cold lesion is killed more slowly at the effector:target ratios of untreated and most treated
lesions, and only its ceiling, reached when T cells far outnumber the surviving cells (after ablative RT), is the
hot lesion's.
"""

from __future__ import annotations

