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
    "scenario": ("方案", "scenario"),
    "metric": ("指标", "metric"),
    "value": ("数值", "value"),
    "mean": ("均值", "mean"),
    "ci95": ("95%置信半宽", "95% CI half-width"),
    "difference": ("差值", "difference"),
    "significant": ("是否显著", "significant"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
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


def chinese_characters() -> str:
    """Every non-ASCII character the labels use, sorted (for font-coverage checks)."""
    return "".join(sorted({ch for zh, en in LABELS.values() for ch in zh + en if ord(ch) > 127}))
