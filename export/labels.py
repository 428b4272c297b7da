"""Bilingual labels (简体中文 / English) for chart titles, axes, legends and table headers.

``label(key, lang)`` returns the text for ``lang in ("zh", "en")``; ``bilingual(key)`` returns both
("服务达标率 service level"), for XLSX header rows and terminal tables that show both languages.
Keys are lowercase ASCII; stream keys are the stream names of docs/interfaces.md
(``window``, ``grid``, ``enforcement``), site-level keys its level names (``community``, ...), and
metric keys the metric names of ``jiedao.simulate/1`` (``wait_mean_min``, ``target_share``, ...), so
a caller can look a label up by the name it already holds.

Every Chinese character used here must render in the charts: ``tests/export/test_charts.py`` checks
that the chosen CJK font covers :func:`chinese_characters`.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["zh", "en"]
LANGS: Final[tuple[str, ...]] = ("zh", "en")

# key -> (zh, en)
LABELS: Final[dict[str, tuple[str, str]]] = {
    # Streams (docs/interfaces.md: window 便民服务窗口, grid 网格事件, enforcement 综合执法案件)
    "window": ("便民服务窗口", "service window"),
    "grid": ("网格", "grid"),
    "enforcement": ("综合执法", "enforcement"),
    "stream": ("业务", "stream"),
    # Sites and levels
    "site": ("地点", "site"),
    "level": ("层级", "level"),
    "community": ("社区", "community"),
    "street": ("街道", "street"),
    "district": ("区县", "district"),
    "city": ("全市", "city"),
    "community_id": ("社区编号", "community id"),
    "type": ("类型", "type"),
    "households": ("户数", "households"),
    # Resources
    "posts": ("社工岗", "social-worker posts"),
    "posts_current": ("现有社工岗", "current posts"),
    "posts_proposed": ("建议社工岗", "proposed posts"),
    "posts_required": ("所需社工岗", "posts required"),
    "posts_pool": ("社工岗总量", "posts pool"),
    "funds": ("经费", "funds"),
    "funds_yuan": ("经费(元)", "funds (yuan)"),
    "funds_wan_yuan": ("经费(万元)", "funds (10,000 yuan)"),
    "funds_standard_yuan": ("标准经费(元)", "standard funds (yuan)"),
    "funds_proposed_yuan": ("建议经费(元)", "proposed funds (yuan)"),
    "fund_pool": ("经费总额", "fund pool"),
    "budget": ("预算", "budget"),
    "budget_yuan": ("预算(元)", "budget (yuan)"),
    "purchased_hours": ("购买服务小时", "purchased service hours"),
    "staff": ("人员当量", "staff-equivalents"),
    "post_cost": ("岗位成本", "post cost"),
    # Service outcomes
    "service_level": ("服务达标率", "service level"),
    "service_level_ci95": ("达标率95%置信半宽", "service level 95% CI half-width"),
    "target": ("目标", "target"),
    "target_met": ("是否达标", "target met"),
    "target_share": ("达标率", "share within target"),
    "urgent_target_share": ("紧急事件到场达标率", "urgent events answered in time"),
    "ordinary_target_share": ("一般事件办结达标率", "ordinary events closed in time"),
    "marginal_value_per_post": ("每增一岗边际值", "marginal value per post"),
    "shortfall": ("达标缺口", "shortfall"),
    "total_shortfall": ("总达标缺口", "total shortfall"),
    "probability_meet": ("达标概率", "probability of meeting targets"),
    "wait": ("等待时间", "waiting time"),
    "wait_min": ("等待时间(分钟)", "waiting time (min)"),
    "wait_h": ("等待时间(小时)", "waiting time (h)"),
    "wait_days": ("等待时间(天)", "waiting time (days)"),
    "wait_mean_min": ("平均等待(分钟)", "mean wait (min)"),
    "wait_p90_min": ("90%分位等待(分钟)", "90th percentile wait (min)"),
    "wait_p95_min": ("95%分位等待(分钟)", "95th percentile wait (min)"),
    "arrivals": ("到达量", "arrivals"),
    "completed": ("办结量", "completed"),
    "abandoned": ("放弃量", "abandoned"),
    "in_system_at_end": ("期末在办量", "in system at end"),
    "utilisation": ("利用率", "utilisation"),
    "queue_mean": ("平均排队长度", "mean queue length"),
    "cumulative_share": ("累计占比", "cumulative share"),
    "within_target": ("目标内占比", "within target"),
    "not_in_time": ("放弃或超时未办", "gave up or open past target"),
    "urgent": ("网格紧急事件：到场", "urgent grid events: response"),
    "ordinary": ("网格一般事件：办结", "ordinary grid events: closing"),
    "time_min": ("用时(分钟)", "time (min)"),
    "time_days": ("用时(天)", "time (days)"),
    "no_data": ("无数据", "no data"),
    # Units
    "minutes": ("分钟", "min"),
    "hours": ("小时", "h"),
    "days": ("天", "days"),
    "yuan": ("元", "yuan"),
    # Sensitivity and budgeting
    "sensitivity": ("敏感性", "sensitivity"),
    "sensitivity_analysis": ("敏感性分析", "sensitivity analysis"),
    "tornado": ("敏感性龙卷风图", "tornado chart"),
    "parameter": ("参数", "parameter"),
    "low": ("参数下调", "parameter lowered"),
    "high": ("参数上调", "parameter raised"),
    "change": ("变化量", "change"),
    "change_in_shortfall": ("总达标缺口变化", "change in total shortfall"),
    "change_in_posts": ("所需社工岗变化", "change in posts required"),
    "demand_rate": ("需求率", "demand rate"),
    "service_time": ("服务时长", "service time"),
    "patience": ("耐心时长", "patience"),
    "budget_frontier": ("预算前沿", "budget frontier"),
    "shadow_price": ("影子价格", "shadow price"),
    "demand_uncertainty": ("需求不确定性", "demand uncertainty"),
    # Comparisons
    "before": ("改革前", "before reform"),
    "after": ("改革后", "after reform"),
    "before_after": ("改革前后对比", "before and after reform"),
    "compare": ("方案对比", "comparison"),
    "scenario": ("方案", "scenario"),
    "metric": ("指标", "metric"),
    "value": ("数值", "value"),
    "mean": ("均值", "mean"),
    "ci95": ("95%置信半宽", "95% CI half-width"),
    "difference": ("差值", "difference"),
    "significant": ("是否显著", "significant"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # Terminal tables, the XLSX summary, compare metrics and categories (issue 14)
    "name": ("名称", "name"),
    "communities": ("社区数", "communities"),
    "streets": ("街道数", "streets"),
    "grids": ("网格数", "grids"),
    "windows": ("窗口人员", "window clerks"),
    "officers": ("执法人员", "officers"),
    "enforcement_officers": ("执法人员", "enforcement officers"),
    "urban": ("城市社区", "urban"),
    "town": ("乡镇社区", "town"),
    "worst_sites": ("离目标最远的地点", "worst sites"),
    "city_stream": ("全市：业务", "city: stream"),
    "wait_mean": ("平均等待", "wait mean"),
    "wait_p90": ("90%分位等待", "wait p90"),
    "wait_mean_days": ("平均等待(天)", "mean wait (days)"),
    "wait_p90_days": ("90%分位等待(天)", "90th percentile wait (days)"),
    "wait_mean_h": ("平均等待(小时)", "mean wait (h)"),
    "wait_p90_h": ("90%分位等待(小时)", "90th percentile wait (h)"),
    "target_met_share": ("达标率(95%区间)", "target met (95% range)"),
    "service_level_range": ("服务达标率(95%区间)", "service level (95% range)"),
    "posts_change": ("社工岗变化", "change in posts"),
    "cut": ("是否削减", "cut"),
    "funds_change_yuan": ("经费变化(元)", "change in funds (yuan)"),
    "funds_current_yuan": ("现有经费(元)", "current funds (yuan)"),
    "clerks_current": ("现有窗口人员", "current clerks"),
    "clerks_proposed": ("建议窗口人员", "proposed clerks"),
    "clerks_change": ("窗口人员变化", "change in clerks"),
    "planned_level": ("计划达标率", "planned level"),
    "street_id": ("街道编号", "street id"),
    "rank": ("排序", "rank"),
    "posts_needed_low": ("所需社工岗(下调)", "posts needed (lowered)"),
    "posts_needed_high": ("所需社工岗(上调)", "posts needed (raised)"),
    "shortfall_low": ("达标缺口(下调)", "shortfall (lowered)"),
    "shortfall_high": ("达标缺口(上调)", "shortfall (raised)"),
    "shadow_price_per_post": ("每岗影子价格", "shadow price per post"),
    "infeasible": ("无可行方案", "infeasible"),
    "probability_target_met": ("达标概率", "P(target met)"),
    "interval95": ("95%区间", "95% interval"),
    "paired_difference": ("差值(95%置信)", "difference (95% CI)"),
    "sheet": ("工作表", "sheet"),
    "column": ("字段", "column"),
    "item": ("项目", "item"),
    "total": ("合计", "total"),
    "total_wan_yuan": ("合计(万元)", "total (10,000 yuan)"),
    "rows": ("行数", "rows"),
    "summary": ("汇总", "summary"),
    "allocation": ("分配方案", "allocation"),
    "curves": ("响应曲线", "response curves"),
    "point": ("取值点", "point"),
    "points": ("取值点", "points"),
    "sweep": ("参数扫描", "sweep"),
    "runtime_s": ("用时(秒)", "runtime (s)"),
    "low95": ("95%下限", "95% low"),
    "high95": ("95%上限", "95% high"),
    "index": ("序号", "index"),
    "id": ("编号", "id"),
    "label": ("取值", "label"),
    # Parameters the one-at-a-time analysis moves (tornado labels), by field path
    "demand.window.rate_per_1000_households_per_day": ("窗口办事量", "window visits rate"),
    "demand.grid.events_per_grid_per_month": ("网格事件量", "grid events rate"),
    "demand.enforcement.direct_cases_per_street_per_month": (
        "执法案件量",
        "enforcement cases rate",
    ),
    "demand.grid.event_time_share": ("网格员处置事件时间占比", "grid workers' event time"),
    "demand.window.service_min": ("窗口办理时长", "window service time"),
    "demand.window.patience_min": ("群众等候耐心", "window patience"),
    "demand.grid.travel_min": ("网格员到场时间", "grid travel time"),
    "demand.grid.handling_min": ("网格事件处置时长", "grid handling time"),
    "demand.grid.station_handling_min": ("社区站处置时长", "station handling time"),
    "demand.enforcement.duration_days": ("执法案件办理时长", "enforcement case time"),
    "budget.post_cost_yuan": ("岗位成本", "post cost"),
    "budget.posts_pool": ("社工岗总量", "posts pool"),
    "budget.hour_price_yuan": ("购买服务单价", "service hour price"),
    "budget.purchase_share": ("经费购买服务比例", "fund share buying hours"),
    "budget.fund_pool_yuan": ("经费总额", "fund pool"),
    "demand.grid.patrol_share": ("巡查发现事件占比", "share found on patrol"),
    "demand.grid.urgent_share": ("紧急事件占比", "share of grid events urgent"),
    "demand.grid.events_per_1000_residents_per_month": (
        "每千人每月网格事件量",
        "grid events per 1,000 residents",
    ),
    "overtime.grid_h_per_worker_day": ("网格员每天允许加班小时", "grid overtime allowed a day"),
    "demand.grid.patrol_handling_min": ("巡查发现事件处置时长", "handling time of patrol finds"),
    "defaults.community.persons_per_household": ("户均人口", "persons per household"),
    "duties.visit_min": ("每次入户走访分钟数", "minutes per household visit"),
    "duties.visits_per_household_year": (
        "普通户每年走访次数",
        "visits per ordinary household a year",
    ),
    "duties.patrol_min_per_grid_day": ("每格每天巡查分钟数", "patrol minutes per grid a day"),
    "duties.meetings_h_per_worker_week": (
        "每人每周会议与报表小时",
        "meetings and data work per worker a week",
    ),
    "districts.*.streets.*.windows": ("窗口人员", "window clerks"),
    "districts.*.streets.*.enforcement_officers": ("执法人员", "enforcement officers"),
}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")


def label(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang`` ("zh" or "en")."""
    _check_lang(lang)
    try:
        zh, en = LABELS[key]
    except KeyError:
        raise KeyError(f"no label for {key!r}") from None
    return zh if lang == "zh" else en


def label_or(key: str, lang: str = "zh") -> str:
    """The label for ``key``, or ``key`` itself where there is none (e.g. a new stream's name)."""
    _check_lang(lang)
    return label(key, lang) if key in LABELS else key


def bilingual(key: str, sep: str = " ") -> str:
    """Both languages, Chinese first: ``"服务达标率 service level"``."""
    zh, en = LABELS[key]
    return f"{zh}{sep}{en}"


def parameter_label(path: str, lang: str = "zh", categories: dict[str, str] | None = None) -> str:
    """A field path as a planner reads it: ``budget.post_cost_yuan`` -> 岗位成本 / post cost.

    A window category's service time (``demand.window.categories.KEY.service_min.mean``) names
    the category (``categories`` maps keys to display names). Site paths
    (``districts.longshan.streets.dongji.windows``) read as the site and the field. A path with
    no label is returned as it is.
    """
    _check_lang(lang)
    parts = path.split(".")
    if parts[-1] in ("mean", "value", "cv"):
        parts = parts[:-1]
    if parts[:3] == ["demand", "window", "categories"] and len(parts) >= 5:
        name = (categories or {}).get(parts[3], parts[3])
        return f"{label('demand.window.service_min', lang)}{'：' if lang == 'zh' else ': '}{name}"
    key = ".".join(parts)
    if key in LABELS:
        return label(key, lang)
    if parts[0] == "districts" and len(parts) >= 2:
        generic = ".".join("*" if i % 2 == 1 else p for i, p in enumerate(parts))
        field = parts[-1]
        text = LABELS.get(generic) or LABELS.get(field)
        if text is not None:
            site = "/".join(p for i, p in enumerate(parts[:-1]) if i % 2 == 1)
            what = text[0] if lang == "zh" else text[1]
            return what if "*" in site else f"{site} {what}"
    return path


def chinese_characters() -> str:
    """Every non-ASCII character the labels use, sorted (for font-coverage checks)."""
    return "".join(sorted({ch for zh, en in LABELS.values() for ch in zh + en if ord(ch) > 127}))
