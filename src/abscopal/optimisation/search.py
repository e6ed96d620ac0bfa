"""The search: optuna's TPE sampler, with a local step around the best regimen, inside a budget of simulations.

Why both: TPE (Bergstra J et al. NeurIPS 2011; optuna's ``TPESampler``) explores a mixed space of ordered axes
(dose, fractions, interval, start, count) and unordered ones (lesions, drug) well from few evaluations, but it
proposes points near the best one only by chance. After its random start-up trials, whenever a feasible regimen
with the best score so far has an axis neighbour not yet evaluated (one step along an ordered axis, any other value
of an unordered one), that neighbour is evaluated next, through the same study (enqueued), so TPE learns from it;
regimens tied with the best count too, so a plateau (objectives on a finite cohort move in steps) is walked to its
edge. When every best regimen is surrounded by evaluated ones (a local optimum), TPE proposes again. A search space no larger than the budget is evaluated
whole.

Budget: each distinct regimen costs ``size x draws`` simulations (the standard regimen included). A point that
breaks a constraint known before simulating (fractions, normal tissue, drug exposure) is told to the study as
infeasible and costs nothing; so does a point whose regimen was already evaluated (a single fraction has no
interval, so points that differ only there are one regimen). Everything is sequential and seeded, so a seed gives
one result, and a resumed run replays the same proposals from the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .problem import Problem, canonical, points, static_constraints

WORST = -1e9


@dataclass
class Entry:
    """One evaluated regimen."""

    order: int
    point: tuple[int, ...]
    arm: dict
    score: float | None  # None: no evaluable subject
    feasible: bool  # every constraint, simulated ones included
    constraints: dict
    details: dict = field(default_factory=dict)


@dataclass
class SearchLog:
    entries: list[Entry]
    asked: int  # points proposed (duplicates and statically infeasible ones included)
    skipped_infeasible: int  # points refused by a constraint known before simulating
    method: str


def search(problem: Problem, evaluate: Callable[[tuple[int, ...], dict, dict], Entry], n_max: int,
           progress: Callable[[Entry, int, int], None] | None = None) -> SearchLog:
    """Evaluate at most ``n_max`` distinct regimens; ``evaluate(point, arm, static constraints)`` returns an Entry."""
    from .problem import irradiated_sites

    sites = lambda targets: irradiated_sites(problem, targets)  # noqa: E731
    done: dict[str, Entry] = {}
    entries: list[Entry] = []
    static: dict[tuple[int, ...], tuple[dict, bool]] = {}

    def static_of(point):
        if point not in static:
            static[point] = static_constraints(problem, problem.arm(point), sites)
        return static[point]

    def run(point) -> Entry | None:
        """Evaluate a point (None when it is statically infeasible); a known regimen is not evaluated again."""
        arm = problem.arm(point)
        key = canonical(arm)
        if key in done:
            return done[key]
        cons, ok = static_of(point)
        if not ok:
            return None
        entry = evaluate(point, arm, cons)
        entry.order = len(entries)
        done[key] = entry
        entries.append(entry)
        if progress is not None:
            progress(entry, len(entries), n_max)
        return entry

    grid = problem.grid_size()
    if grid <= n_max:
        for point in points(problem):
            run(point)
        return SearchLog(entries, grid, sum(not ok for _, ok in static.values()), "exhaustive (the space fits the budget)")

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dims = problem.dimensions
    startup = max(4, min(10, n_max // 4))
    modern = hasattr(optuna.trial.Trial, "set_constraint")  # optuna >= 5; before, a constraints_func
    options = {} if modern else {"constraints_func": lambda t: (t.user_attrs.get("violation", 0.0),)}
    sampler = optuna.samplers.TPESampler(seed=problem.optimiser_seed, n_startup_trials=startup, multivariate=True,
                                         **options)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    names = [f"x{a}" for a in range(len(dims))]

    def ask():
        trial = study.ask()
        point = tuple(trial.suggest_int(names[a], 0, len(d.values) - 1) if d.ordered
                      else trial.suggest_categorical(names[a], list(range(len(d.values)))) for a, d in enumerate(dims))
        return trial, point

    def tell(trial, entry: Entry | None):
        violation = 1.0 if entry is None or not entry.feasible else 0.0
        if modern:
            trial.set_constraint("violation", violation)
        else:
            trial.set_user_attr("violation", violation)
        study.tell(trial, entry.score if entry is not None and entry.score is not None else WORST)

    def neighbours(point):
        for a, d in enumerate(dims):
            steps = (point[a] - 1, point[a] + 1) if d.ordered else range(len(d.values))
            for j in steps:
                if 0 <= j < len(d.values) and j != point[a]:
                    yield point[:a] + (j,) + point[a + 1:]

    def best():
        ok = [e for e in entries if e.feasible and e.score is not None]
        return max(ok, key=lambda e: (e.score, -e.order)) if ok else None

    asked, cap = 0, 50 * n_max + 200
    while len(entries) < n_max and asked < cap:
        target = None
        top = best()
        if top is not None and len(study.trials) >= startup:
            # the best regimens (ties included: a plateau is walked, as objectives on a finite cohort are steps)
            for e in sorted((e for e in entries if e.feasible and e.score == top.score), key=lambda e: e.order):
                target = next((nb for nb in neighbours(e.point)
                               if canonical(problem.arm(nb)) not in done and static_of(nb)[1]), None)
                if target is not None:
                    break
        if target is not None:
            study.enqueue_trial({names[a]: target[a] for a in range(len(dims))})
        trial, point = ask()
        asked += 1
        tell(trial, run(point))
    method = (f"optuna {optuna.__version__} TPESampler (multivariate, seed {problem.optimiser_seed}, {startup} random "
              "start-up trials) with a local step to untried neighbours of the best feasible regimen")
    return SearchLog(entries, asked, sum(not ok for _, ok in static.values()), method)
