"""Every ``jiedao.*/1`` document, built here and nowhere else, from the frozen results.

``simulate_document`` (``jiedao.simulate/1``), ``plan_document`` (``jiedao.plan/1``),
``compare_document`` (``jiedao.compare/1``), ``sensitivity_document`` (``jiedao.sensitivity/1``),
``scenario_document`` (``jiedao.scenario.show/1``); the sweep's are in :mod:`jiedao.export.sweep`.
Layouts are in docs/interfaces.md. Numbers are rounded to 6 decimals where they are estimates, and
undefined values are ``null``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from jiedao.export.plan import allocation_rows, window_rows
from jiedao.planning.compare import BreakEven, ComparedSite, Comparison, Difference
from jiedao.planning.plan import Plan
from jiedao.planning.whatif import SensitivityReport
from jiedao.scenarios.summary import ScenarioSummary
from jiedao.sim.run import Results, summarise


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def share_bounds(mean: float | None, half: float | None) -> dict[str, float | None]:
    """``lo`` and ``hi`` of a share's 95% interval: the replication t-interval (mean ± ci95)
    clipped to 0-1, stated beside ``ci95`` so a script never reads a share below 0 or above 1."""
    if mean is None or not math.isfinite(mean):
        return {"lo": None, "hi": None}
    h = abs(half) if half is not None and math.isfinite(half) else 0.0
    return {"lo": _round(max(0.0, mean - h)), "hi": _round(min(1.0, mean + h))}


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


# --- simulate -------------------------------------------------------------------------------------


def simulate_document(results: Results) -> dict[str, Any]:
    entries = []
    for (site, stream), metrics in results.values.items():
        summary = {}
        for name, values in metrics.items():
            mean, half = summarise(values)
            summary[name] = {"mean": _clean(mean), "ci95": _clean(half)}
            if name.endswith("share"):  # a share's interval stays inside 0-1
                summary[name] |= share_bounds(mean, half)
        entries.append(
            {"site": site, "level": results.levels[site], "stream": stream, "metrics": summary}
        )
    h = results.horizon
    return {
        "schema": "jiedao.simulate/1",
        "scenario": results.scenario.name,
        "seed": results.seed,
        "replications": results.replications,
        "days": h.days,
        "warmup_days": h.warmup_days,
        "case_days": h.case_days,
        "case_warmup_days": h.case_warmup_days,
        "runtime_s": round(results.runtime_s, 3),
        "residents_simulated": results.residents,
        "warnings": list(results.warnings),
        "results": entries,
        "value_of_time_yuan_per_h": results.scenario.access.value_of_time_yuan_per_h,
        "whole_cost": [
            {
                "site": site,
                "level": results.levels.get(site, "city"),
                "metrics": {
                    name: dict(zip(("mean", "ci95"), map(_clean, summarise(values)), strict=True))
                    for name, values in metrics.items()
                },
            }
            for site, metrics in results.costs.items()
        ],
    }


# --- plan -----------------------------------------------------------------------------------------


def plan_document(plan: Plan) -> dict[str, Any]:
    r, s = plan.result, plan.sensitivity
    document: dict[str, Any] = {
        "schema": "jiedao.plan/1",
        "scenario": plan.scenario.name,
        "seed": plan.seed,
        "mode": plan.mode.value,
        "curve_source": plan.curve_source,
        "check_replications": plan.check_replications,
        "check_seed": plan.check_seed,
        "runtime_s": round(plan.runtime_s, 3),
        "status": r.status.value,
        "message": r.message,
        "method": r.method,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "posts_total": r.posts_total,
        "funds_total_yuan": r.funds_total_yuan,
        "cost_yuan": r.cost_yuan,
        "binding_constraints": list(r.binding or ()),
        "targets_met": sum(1 for c in plan.checks.values() if c.target_met),
        "communities": len(plan.checks) or len(r.allocation or ()),
        "curve_agreement": sum(1 for c in plan.checks.values() if c.agrees),
    }
    if s is not None:
        document["sensitivity"] = {
            "objective": s.objective,
            "marginal_value_per_post": s.marginal_post,
            "marginal_value_per_10000_yuan": s.marginal_funds,
            "relaxation_tight": s.relaxation_tight,
            "shadow_prices": [
                {
                    "constraint": p.constraint,
                    "unit": p.unit,
                    "rhs": p.rhs,
                    "value": p.value,
                    "holds_from": p.lower,
                    "holds_to": p.upper,
                    "source": p.source,
                }
                for p in s.shadow_prices.values()
            ],
        }
    document.update(grid_truth(plan))
    document.update(allocation_truth(plan))
    document["allocation"] = allocation_rows(plan)
    if plan.clerks is not None:
        document["windows"] = {
            "clerks_pool": plan.clerks.pool,
            "clerks_total": plan.clerks.result.posts_total,
            "status": plan.clerks.result.status.value,
            "objective": plan.clerks.result.objective,
            "binding_constraints": list(plan.clerks.result.binding or ()),
            "mode": plan.clerks.mode.value,
            "clerks_needed": plan.clerks.needed,
            "engine_repair_rounds": plan.clerks.rounds,
            "streets_met": plan.clerks.met,
            "streets_cannot_meet": list(plan.clerks.cannot_meet),
            "converged": plan.clerks.converged,
            "check_replications": plan.clerks.check_replications,
            "met_rule": "lower 95% bound of the window level >= target (engine, shifts and "
            "return visits, fresh random numbers)",
            "streets": window_rows(plan),
        }
    document["checks"] = [
        {
            "community_id": c.community_id,
            "planned_level": _round(c.planned_level),
            "level": _round(c.level),
            "ci95": _round(c.ci95),
            **share_bounds(c.level, c.ci95),
            "target": c.target,
            "target_met": c.target_met,
            "agrees_with_curve": c.agrees,
            "lower95": _round(c.lower),
            "urgent_level": _round(c.urgent_level),
            "urgent_ci95": _round(c.urgent_ci95),
            "urgent_target": _round(c.urgent_target),
            "ordinary_level": _round(c.ordinary_level),
            "ordinary_ci95": _round(c.ordinary_ci95),
            "ordinary_target": _round(c.ordinary_target),
            "backlog_grows": c.backlog_grows,
            "offered_load": _round(c.offered_load),
            "utilisation": _round(c.utilisation),
            "overtime_h_per_worker_week": _round(c.overtime_h_per_worker_week),
            "overtime_h_per_year": _round(c.overtime_h_per_year),
            "on_call_h_per_year": _round(c.on_call_h_per_year),
            "urgent_response_p90_min": _round(c.urgent_response_p90_min),
            "replications": c.replications,
            "cap_hit": c.cap_hit,
        }
        for c in plan.checks.values()
    ]
    return document


def grid_truth(plan: Plan) -> dict[str, Any]:
    """The plan's horizon, bounds and replication caps, the norms beside its posts figure, its
    most sensitive inputs and its overtime (docs/plan.md)."""
    checks = list(plan.checks.values())
    out: dict[str, Any] = {
        "case_days": plan.case_days,
        "case_warmup_days": plan.case_warmup_days,
        "max_replications": plan.max_replications,
        "met_rule": "lower 95% bound of the joint grid level >= target and no growing backlog",
        "check_cap_hits": plan.check_cap_hits,
        "backlog_grows": sum(1 for c in checks if c.backlog_grows),
        "posts_pool": plan.scenario.budget.posts_pool,
        "pool_enough": plan.pool_enough,
        "load_posts": _round(plan.load_posts, 2),
        "paid_overtime_yuan": _round(plan.paid_overtime_yuan, 2),
        "overtime_h_per_year": _round(
            sum(
                c.overtime_h_per_year
                for c in checks
                if c.overtime_h_per_year == c.overtime_h_per_year
            ),
            1,
        ),
        "on_call_h_per_year": _round(
            sum(
                c.on_call_h_per_year for c in checks if c.on_call_h_per_year == c.on_call_h_per_year
            ),
            1,
        ),
    }
    if plan.measured is not None:
        brackets = list(plan.measured.brackets.values())
        halves = [h for b in brackets for h in b.half_widths]
        out["curve_brackets"] = {
            "communities": len(brackets),
            "cap_hits": plan.measured.cap_hits,
            "half_width_median": _round(float(np.median(halves))) if halves else None,
            "half_width_max": _round(float(np.max(halves))) if halves else None,
            "replications_max": max((max(b.replications) for b in brackets), default=0),
        }
        out["curves_measured"] = {
            "communities": len(plan.measured.points),
            "distinct": plan.measured.distinct,
        }
    if plan.norms is not None:
        low, high, national = plan.norms.totals
        out["norms"] = {
            "model_posts": plan.result.posts_total,
            "jilin_low": low,
            "jilin_high": high,
            "national_workers": _round(national, 1),
            "jilin_rule": "10-15 posts under 3,000 households, plus 1 per 300-500 above",
            "national_rule": "18 community workers per 10,000 urban residents",
        }
    out["sensitive_inputs"] = [
        {"path": e.path, "label": e.label, "elasticity": _round(e.value, 4)}
        for e in plan.elasticities
    ]
    return out


def allocation_truth(plan: Plan) -> dict[str, Any]:
    """What the allocation judged (aim, shape), today against the plan, the cuts by name, who
    stays below target and why, the notes, one budget over every staff type, what a yuan of fund
    buys, and the repair rounds (docs/plan.md)."""
    r = plan.result
    today = sum(c.posts for c in plan.scenario.communities())
    out: dict[str, Any] = {
        "aim": r.aim,
        "shape": r.shape,
        "spread": r.spread,
        "curve_lift_max": _round(r.curve_lift_max),
        "curve_lowered_max": _round(r.curve_lowered_max),
        "keep_today": plan.keep_today,
        "posts_today": today,
        "posts_reserve": r.posts_reserve,
        "posts_unplaced": r.posts_unplaced,
        "posts_spread": r.posts_spread,
        "cuts": list(r.cuts),
        "unmet": [
            {
                "community_id": u.community_id,
                "level": _round(u.level),
                "target": u.target,
                "below_floor": u.below_floor,
                "posts_to_target": u.posts_to_target,
                "reason": u.reason,
            }
            for u in r.unmet
        ],
        "notes": list(r.notes),
        "first_check_met": plan.first_met,
        "repair_rounds": [
            {
                "round": x.round,
                "failing": list(x.failing),
                "measure_seed": x.measure_seed,
                "check_seed": x.check_seed,
                "moved_posts": x.moved_posts,
                "met": x.met,
            }
            for x in plan.repairs
        ],
    }
    b = plan.budget
    if b is not None:
        out["budget"] = {
            "total_yuan": _round(b.total_yuan, 2),
            "total_wan_yuan": _round(b.total_yuan / 10_000, 4),
            "lines": [
                {
                    "item": line.item,
                    "quantity": _round(line.quantity, 4),
                    "unit": line.unit,
                    "unit_cost_yuan": _round(line.unit_cost_yuan, 4),
                    "yuan": _round(line.yuan, 2),
                    "wan_yuan": _round(line.yuan / 10_000, 4),
                    "staff_equivalents": _round(line.staff_equivalents, 4),
                }
                for line in b.lines
            ],
        }
    v = r.fund_value
    if v is not None:
        out["fund_value"] = {
            "hours_per_yuan": _round(v.hours_per_yuan, 8),
            "staff_per_yuan": _round(v.staff_per_yuan, 12),
            "yuan_per_staff_equivalent": _round(v.yuan_per_staff_equivalent, 2),
            "post_cost_yuan": v.post_cost_yuan,
            "share_buying_nothing": _round(v.share_buying_nothing),
            "movable_yuan": _round(v.movable_yuan, 2),
            "note": v.note,
        }
    return out


# --- compare --------------------------------------------------------------------------------------


def _difference(d: Difference) -> dict[str, Any]:
    return {
        "mean": _clean(d.mean),
        "ci95": _clean(d.ci95),
        "significant": d.significant,
        "n": d.n,
        "paired": d.paired,
        "interval": "paired-t" if d.paired else "welch",
        "independent_ci95": _clean(d.independent_ci95),
    }


def _compared_site(site: ComparedSite) -> dict[str, Any]:
    metrics = {}
    for name, item in site.metrics.items():
        metrics[name] = {
            "scenarios": {
                run: {"mean": _clean(v.mean), "ci95": _clean(v.ci95)}
                | (share_bounds(v.mean, v.ci95) if name.endswith("share") else {})
                for run, v in item.values.items()
            },
            "differences": {run: _difference(d) for run, d in item.differences.items()},
        }
    return {"site": site.site, "level": site.level, "stream": site.stream, "metrics": metrics}


def _break_even(b: BreakEven) -> dict[str, Any]:
    return {
        "site": b.site,
        "scenario": b.scenario,
        "verdict": b.verdict,
        "whole_cost_difference_min": _difference(b.whole_cost),
        "trips_per_matter": _clean(b.trips_per_matter),
        "margin_min": _clean(b.margin_min),
        "margin_ci95": _clean(b.margin_ci95),
        "travel_saving_min": _clean(b.travel_saving_min),
        "break_even_saving_min": _clean(b.break_even_saving_min),
        "effects_min": {k: _clean(v) for k, v in b.effects.items()},
        "dominant": b.dominant,
    }


def compare_document(comparison: Comparison) -> dict[str, Any]:
    base = comparison.runs[0]
    h = base.horizon
    entries = [_compared_site(site) for site in comparison.sites]
    pairing: dict[str, dict[str, bool]] = {}
    for site in comparison.sites + comparison.costs:
        if site.level != "city":
            continue
        stream = "whole_cost" if site in comparison.costs else site.stream
        for item in site.metrics.values():
            for run, d in item.differences.items():
                pairing.setdefault(run, {})[stream] = d.paired
            break
    return {
        "schema": "jiedao.compare/1",
        "baseline": comparison.baseline,
        "scenarios": [
            {
                "name": name,
                "scenario": r.scenario.name,
                "source": r.scenario.source,
                "residents_simulated": r.residents,
                "runtime_s": round(r.runtime_s, 3),
                "warnings": list(r.warnings),
                "value_of_time_yuan_per_h": r.scenario.access.value_of_time_yuan_per_h,
            }
            for name, r in zip(comparison.names, comparison.runs, strict=True)
        ],
        "seed": base.seed,
        "replications": base.replications,
        "days": h.days,
        "warmup_days": h.warmup_days,
        "case_days": h.case_days,
        "case_warmup_days": h.case_warmup_days,
        "paired": all(all(p.values()) for p in pairing.values()) if pairing else True,
        "pairing": pairing,
        "not_compared": comparison.not_compared,
        "results": entries,
        "whole_cost": [_compared_site(site) for site in comparison.costs],
        "break_even": [_break_even(b) for b in comparison.break_even],
    }


# --- sensitivity ----------------------------------------------------------------------------------


def sensitivity_document(report: SensitivityReport) -> dict[str, Any]:
    from jiedao.export.sensitivity import frontier_rows, oat_rows, uncertainty_rows

    return {
        "schema": "jiedao.sensitivity/1",
        "scenario": report.scenario.name,
        "change": report.change,
        "runtime_s": round(report.runtime_s, 3),
        "base": dict(report.base.__dict__),
        "one_at_a_time": oat_rows(report.base, list(report.rows), report.change),
        "frontier_posts": frontier_rows(list(report.frontier_posts)),
        "frontier_funds": frontier_rows(list(report.frontier_funds)),
        "demand_spread": report.spread,
        "demand_uncertainty": uncertainty_rows(list(report.uncertainty)),
    }


# --- scenario -------------------------------------------------------------------------------------


def scenario_document(summary: ScenarioSummary) -> dict[str, Any]:
    scenario = summary.scenario
    budget = scenario.budget
    return {
        "schema": "jiedao.scenario.show/1",
        "scenario": scenario.name,
        "name_zh": scenario.name_zh,
        "source": scenario.source,
        "totals": {
            "districts": len(scenario.districts),
            "streets": len(summary.streets),
            "communities": len(summary.communities),
            "households": scenario.households,
            "grids": summary.grids,
            "windows": summary.windows,
            "enforcement_officers": summary.enforcement_officers,
            "posts": summary.posts,
            "funds_yuan": summary.funds_yuan,
        },
        "policy": scenario.policy.model_dump(),
        "targets": scenario.targets.model_dump(),
        "budget": {**budget.model_dump(), "posts_cost_yuan": summary.posts_cost_yuan},
        "streets": [dict(s.__dict__) for s in summary.streets],
        "communities": [dict(c.__dict__) for c in summary.communities],
    }
