"""One report per run: a self-contained HTML file a planner can mail, open and print.

:func:`plan_report` turns a plan's summary (:mod:`export.summary`) into one HTML page in Chinese
(default) or English: the headline (posts, funds, window clerks and what they cost a year, in yuan
and 万元; targets met on their lower bounds), what changes against today by district, street and
community, the charts as inline SVG (:mod:`export.svg`), the risks, and where the figures come
from (scenario, date, seed, source tags). CSS and SVG only: no script, nothing fetched from
anywhere; an A4 print stylesheet so a browser prints it or saves it as PDF.

Sections (ids, in order): ``headline``, ``changes``, ``charts``, ``risks``, ``sensitivity`` (when
sensitivity ran), ``about``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from jiedao.export import format as fmt
from jiedao.export.files import atomic_write_many, atomic_write_text
from jiedao.export.labels import parameter_label
from jiedao.export.summary import (
    AreaLine,
    CommunityLine,
    PlanSummary,
    Risk,
    SensitivitySummary,
    SwingLine,
)
from jiedao.export.svg import plan_charts

SECTIONS = ("headline", "changes", "charts", "risks", "about")
REPORT_NAME = "report.html"
# beyond this many communities the community table lists only those whose posts or funds change
MAX_COMMUNITY_ROWS = 300

CSS = """
:root { --ink: #1b1b1b; --muted: #666; --line: #d0d0d0; --plan: #0072B2; --bad: #D55E00;
  --good: #009E73; }
* { box-sizing: border-box; }
body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei',
  'PingFang SC', sans-serif; color: var(--ink); margin: 0 auto; max-width: 800px; padding: 24px;
  line-height: 1.5; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--plan); padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: bold; }
.card .d { font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: right; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
thead th { background: #f2f5f8; }
.up { color: var(--plan); } .down { color: var(--bad); }
.met { color: var(--good); } .notmet { color: var(--bad); font-weight: bold; }
svg.chart, .chart svg { max-width: 100%; height: auto; display: block; margin: 8px 0 16px; }
ul.risks li { margin-bottom: 4px; }
.note { color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  table, svg.chart, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
"""

T: dict[str, tuple[str, str]] = {
    "title": ("{name}社工岗与经费方案", "Plan for posts and funds: {name}"),
    "meta": (
        "情景 {scenario} · 生成日期 {date} · 随机种子 {seed} · {mode}",
        "scenario {scenario} · made {date} · seed {seed} · {mode}",
    ),
    "mode_shortfall": ("在总量内使加权达标缺口最小", "least weighted shortfall within the pools"),
    "mode_cost": ("以最低成本达到每个社区的目标", "every target at least cost"),
    "headline": ("要点", "Headline"),
    "posts": ("社工岗", "Social-worker posts"),
    "funds": ("服务经费（每年）", "Service funds (a year)"),
    "clerks": ("窗口人员（一窗通办）", "Window clerks (一窗通办)"),
    "cost": ("每年成本合计", "Cost a year, all told"),
    "targets": ("网格服务目标", "Grid service targets"),
    "windows": ("窗口服务目标", "Window service targets"),
    "today_change": ("现有 {today}，变化 {change}", "today {today}, change {change}"),
    "pool": ("总量 {pool}", "pool {pool}"),
    "cost_parts": (
        "社工岗 {posts} + 经费 {funds} = {both}；加窗口人员 {clerks}",
        "posts {posts} + funds {funds} = {both}; plus window clerks {clerks}",
    ),
    "cost_parts_no_clerks": ("社工岗 {posts} + 经费 {funds}", "posts {posts} + funds {funds}"),
    "met_of": ("{met}/{n} 个社区达标", "{met} of {n} communities meet theirs"),
    "met_rule": (
        "按95%区间下限判断：下限不低于目标且积压不增长才算达标",
        "judged on the lower 95% bound: met when it is at or above the target and the backlog "
        "does not grow",
    ),
    "win_met_of": (
        "{met}/{n} 个街道达标（目标 {target}）",
        "{met} of {n} streets (target {target})",
    ),
    "not_checked": ("未经模拟检验", "not checked by simulation"),
    "per_post": ("每岗每年 {cost}", "{cost} per post-year"),
    "changes": ("与现状相比的变化", "What changes against today"),
    "by_district": ("按区县", "By district"),
    "by_street": ("按街道", "By street"),
    "by_community": ("按社区", "By community"),
    "only_changing": (
        "共{n}个社区，仅列出社工岗或经费有变化的{k}个；完整表见 allocation.csv",
        "{n} communities; only the {k} whose posts or funds change are listed; all in "
        "allocation.csv",
    ),
    "col_name": ("名称", "name"),
    "col_district": ("区县", "district"),
    "col_street": ("街道", "street"),
    "col_communities": ("社区数", "communities"),
    "col_households": ("户数", "households"),
    "col_posts_today": ("现有岗", "posts today"),
    "col_posts_plan": ("方案岗", "posts plan"),
    "col_change": ("变化", "change"),
    "col_funds_today": ("现有经费", "funds today"),
    "col_funds_plan": ("方案经费", "funds plan"),
    "col_funds_change": ("经费变化", "funds change"),
    "col_clerks": ("窗口人员 现有→方案", "clerks today→plan"),
    "col_met": ("达标社区", "communities met"),
    "col_level": ("达标率（95%区间）", "service level (95% interval)"),
    "col_target": ("目标", "target"),
    "col_verdict": ("是否达标", "met"),
    "yes": ("达标", "met"),
    "no": ("未达标", "not met"),
    "charts": ("图表", "Charts"),
    "risks": ("风险", "Risks"),
    "no_risks": ("未发现需要特别关注的风险。", "No risk stands out."),
    "risk_not_checked": (
        "方案未经模拟检验（{n}个社区）：达标与否只是曲线的预测。",
        "The plan was not checked by simulation ({n} communities): whether targets are met is "
        "the curves' forecast only.",
    ),
    "risk_not_met": (
        "{n}个社区在检验中未达到目标（按下限）：{ex}",
        "{n} communities do not meet their target in the check (on the lower bound): {ex}",
    ),
    "risk_backlog": (
        "{n}个社区积压在增长：人员跟不上事件，时间越长越差：{ex}",
        "{n} communities have a growing backlog (work outpaces the team): {ex}",
    ),
    "risk_busy": (
        "{n}个社区人员利用率达90%以上，需求稍增即可能失守：{ex}",
        "{n} communities run their team at 90% or more; a little more demand may tip them: {ex}",
    ),
    "risk_cap_hit": (
        "{n}个社区检验达到重复次数上限时区间仍跨目标，结论不确定：{ex}",
        "{n} communities: the interval still spans the target at the replication cap, so the "
        "verdict is uncertain: {ex}",
    ),
    "risk_close": (
        "{n}个社区刚好达标（下限高出目标不到1个百分点）：{ex}",
        "{n} communities meet their target by less than 1 percentage point: {ex}",
    ),
    "risk_cuts": (
        "{n}个社区社工岗少于现有（需要安置人员）：{ex}",
        "{n} communities get fewer posts than today (staff to redeploy): {ex}",
    ),
    "risk_windows_not_met": (
        "{n}个街道的窗口未达到目标：{ex}",
        "{n} streets' windows do not meet their target: {ex}",
    ),
    "risk_elasticity": (
        "岗位数最受“{label}”影响：该项增加10%，按负荷估算的岗位约变化{value}%。",
        "The posts figure is most sensitive to “{label}”: 10% more of it changes the load-based "
        "posts estimate by about {value}%.",
    ),
    "sensitivity": ("敏感性", "Sensitivity"),
    "about": ("数据来源与方法", "Where the figures come from"),
    "about_scenario": ("情景", "scenario"),
    "about_date": ("生成日期", "made on"),
    "about_seed": ("随机种子", "seed"),
    "about_check": ("检验", "check"),
    "about_check_v": (
        "以新随机种子 {seed} 重新模拟，每个社区至少{n}次重复",
        "re-simulated with fresh seed {seed}, at least {n} replications per community",
    ),
    "about_curves": ("响应曲线", "response curves"),
    "curves_simulated": ("模拟所得", "simulated"),
    "curves_given": ("由使用者提供", "given by the user"),
    "about_sources": ("来源标注", "source tags"),
    "tag_seed": ("原始材料", "the source article"),
    "tag_source": ("公开数据", "published figures"),
    "tag_assumption": ("假设", "assumptions"),
    "about_interval": ("区间", "intervals"),
    "about_interval_v": (
        "达标率为各次重复达标比例的平均；95%区间为重复间的t区间，截断在0-100%之内",
        "a service level is the mean of per-replication shares; its 95% interval is the "
        "replication t-interval, clipped to 0-100%",
    ),
    "about_units": ("单位", "units"),
    "about_units_v": (
        "窗口与紧急事件响应以分钟计，一般事件与执法案件以天计；金额为元（括号内为万元）",
        "windows and urgent response in minutes, ordinary events and cases in days; money in "
        "yuan (万元 in brackets)",
    ),
    "about_overtime": ("有偿加班费（已计入合计）", "paid overtime (in the total)"),
    "footer": (
        "由 jiedao 生成；完整数据见同目录的 allocation.csv / allocation.xlsx / plan.json。",
        "Made by jiedao; the full tables are in allocation.csv / allocation.xlsx / plan.json.",
    ),
}


def tr(key: str, lang: str, **values: object) -> str:
    zh, en = T[key]
    text = zh if lang == "zh" else en
    return text.format(**{k: v for k, v in values.items()}) if values else text


def _e(text: object) -> str:
    return escape(str(text))


def _change_class(value: float | None) -> str:
    if value is None or value == 0:
        return ""
    return ' class="up"' if value > 0 else ' class="down"'


@dataclass(frozen=True)
class SensitivityPart:
    """What a sensitivity run adds to the report: its charts (SVG) and its risk lines."""

    charts: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


def plan_report(
    summary: PlanSummary,
    lang: str = "zh",
    *,
    date: str,
    sensitivity: SensitivityPart | None = None,
) -> str:
    """The report as one HTML string (``date`` is the day it is made, ISO)."""
    name = summary.scenario_zh if lang == "zh" else summary.scenario
    mode = tr("mode_cost" if summary.mode == "cost" else "mode_shortfall", lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(tr('title', lang, name=name))}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(tr('title', lang, name=name))}</h1>",
        '<p class="meta">'
        + _e(tr("meta", lang, scenario=summary.scenario, date=date, seed=summary.seed, mode=mode))
        + "</p>",
        "</header>",
        _headline(summary, lang),
        _changes(summary, lang),
        _charts(summary, lang),
        _risks(summary, lang, sensitivity),
    ]
    if sensitivity is not None and sensitivity.charts:
        parts.append(
            f'<section id="sensitivity"><h2>{_e(tr("sensitivity", lang))}</h2>'
            + "".join(_inline(svg) for svg in sensitivity.charts)
            + "</section>"
        )
    parts += [_about(summary, lang, date), f'<p class="note">{_e(tr("footer", lang))}</p>']
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _card(key: str, value: str, detail: str) -> str:
    return (
        f'<div class="card"><div class="k">{_e(key)}</div><div class="v">{_e(value)}</div>'
        f'<div class="d">{_e(detail)}</div></div>'
    )


def _headline(s: PlanSummary, lang: str) -> str:
    cards = [
        _card(
            tr("posts", lang),
            fmt.count(s.posts_plan),
            tr(
                "today_change",
                lang,
                today=fmt.count(s.posts_today),
                change=fmt.count(s.posts_change, sign=True),
            )
            + " · "
            + tr("pool", lang, pool=fmt.count(s.posts_pool))
            + " · "
            + tr("per_post", lang, cost=fmt.yuan(s.post_cost_yuan)),
        ),
        _card(
            tr("funds", lang),
            fmt.money(s.funds_plan_yuan, lang),
            tr(
                "today_change",
                lang,
                today=fmt.money(s.funds_today_yuan, lang),
                change=fmt.money(s.funds_change_yuan, lang, sign=True),
            ),
        ),
    ]
    if s.clerks_plan is not None:
        cards.append(
            _card(
                tr("clerks", lang),
                fmt.count(s.clerks_plan),
                tr(
                    "today_change",
                    lang,
                    today=fmt.count(s.clerks_today),
                    change=fmt.count(s.clerks_change, sign=True),
                )
                + " · "
                + fmt.money(s.clerks_cost_yuan, lang),
            )
        )
    parts = (
        tr(
            "cost_parts",
            lang,
            posts=fmt.wan(s.posts_cost_yuan) if lang == "zh" else fmt.yuan(s.posts_cost_yuan),
            clerks=fmt.wan(s.clerks_cost_yuan) if lang == "zh" else fmt.yuan(s.clerks_cost_yuan),
            funds=fmt.wan(s.funds_plan_yuan) if lang == "zh" else fmt.yuan(s.funds_plan_yuan),
            both=fmt.money(s.posts_cost_yuan + s.funds_plan_yuan, lang),
        )
        if s.clerks_plan is not None
        else tr(
            "cost_parts_no_clerks",
            lang,
            posts=fmt.wan(s.posts_cost_yuan) if lang == "zh" else fmt.yuan(s.posts_cost_yuan),
            funds=fmt.wan(s.funds_plan_yuan) if lang == "zh" else fmt.yuan(s.funds_plan_yuan),
        )
    )
    cards.append(_card(tr("cost", lang), fmt.money(s.cost_yuan, lang), parts))
    if s.checked:
        cards.append(
            _card(
                tr("targets", lang),
                f"{s.met}/{s.checked}",
                tr("met_of", lang, met=fmt.count(s.met), n=fmt.count(s.checked))
                + "；" * (lang == "zh")
                + "; " * (lang == "en")
                + tr("met_rule", lang),
            )
        )
    else:
        cards.append(_card(tr("targets", lang), "—", tr("not_checked", lang)))
    if s.windows_checked:
        cards.append(
            _card(
                tr("windows", lang),
                f"{s.windows_met}/{s.windows_checked}",
                tr(
                    "win_met_of",
                    lang,
                    met=fmt.count(s.windows_met),
                    n=fmt.count(s.windows_checked),
                    target=fmt.pct(s.window_target),
                ),
            )
        )
    return (
        f'<section id="headline"><h2>{_e(tr("headline", lang))}</h2>'
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _num_cell(text: str, value: float | None = None) -> str:
    return f"<td{_change_class(value)}>{_e(text)}</td>"


def _area_table(rows: Sequence[AreaLine], lang: str, street: bool) -> str:
    clerks = any(r.clerks_plan is not None for r in rows)
    head = [tr("col_name", lang)]
    if street:
        head.append(tr("col_district", lang))
    head += [
        tr("col_communities", lang),
        tr("col_households", lang),
        tr("col_posts_today", lang),
        tr("col_posts_plan", lang),
        tr("col_change", lang),
        tr("col_funds_plan", lang),
        tr("col_funds_change", lang),
    ]
    if clerks:
        head.append(tr("col_clerks", lang))
    head.append(tr("col_met", lang))
    body = []
    for r in rows:
        cells = [f'<td class="l">{_e(r.name)}</td>']
        if street:
            cells.append(f'<td class="l">{_e(r.district)}</td>')
        cells += [
            _num_cell(fmt.count(r.communities)),
            _num_cell(fmt.count(r.households)),
            _num_cell(fmt.count(r.posts_today)),
            _num_cell(fmt.count(r.posts_plan)),
            _num_cell(fmt.count(r.posts_change, sign=True), r.posts_change),
            _num_cell(fmt.yuan(r.funds_plan_yuan)),
            _num_cell(fmt.yuan(r.funds_change_yuan, sign=True), r.funds_change_yuan),
        ]
        if clerks:
            cells.append(
                _num_cell(
                    f"{fmt.count(r.clerks_today)} → {fmt.count(r.clerks_plan)}", r.clerks_change
                )
            )
        cells.append(_num_cell(f"{r.met}/{r.checked}" if r.checked else "—"))
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(head, body)


def _table(head: list[str], body: list[str]) -> str:
    return (
        "<table><thead><tr>"
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def _community_table(rows: Sequence[CommunityLine], lang: str) -> str:
    head = [
        tr("col_name", lang),
        tr("col_street", lang),
        tr("col_posts_today", lang),
        tr("col_posts_plan", lang),
        tr("col_change", lang),
        tr("col_funds_plan", lang),
        tr("col_level", lang),
        tr("col_target", lang),
        tr("col_verdict", lang),
    ]
    body = []
    for c in rows:
        level = fmt.share_range(c.level.mean, c.level.half) if c.level is not None else fmt.NA
        verdict = (
            f'<td class="met">{_e(tr("yes", lang))}</td>'
            if c.met
            else f'<td class="notmet">{_e(tr("no", lang))}</td>'
            if c.met is not None
            else "<td>—</td>"
        )
        body.append(
            "<tr>"
            f'<td class="l">{_e(c.name)}</td><td class="l">{_e(c.street)}</td>'
            + _num_cell(fmt.count(c.posts_today))
            + _num_cell(fmt.count(c.posts_plan))
            + _num_cell(fmt.count(c.posts_change, sign=True), c.posts_change)
            + _num_cell(fmt.yuan(c.funds_plan_yuan))
            + _num_cell(level)
            + _num_cell(fmt.pct(c.target))
            + verdict
            + "</tr>"
        )
    return _table(head, body)


def _changes(s: PlanSummary, lang: str) -> str:
    rows = list(s.communities)
    note = ""
    if len(rows) > MAX_COMMUNITY_ROWS:
        changing = [c for c in rows if c.posts_change or (c.funds_change_yuan or 0) != 0]
        shown = fmt.count(len(changing[:MAX_COMMUNITY_ROWS]))
        words = tr("only_changing", lang, n=fmt.count(len(rows)), k=shown)
        note = f'<p class="note">{_e(words)}</p>'
        rows = changing[:MAX_COMMUNITY_ROWS]
    return (
        f'<section id="changes"><h2>{_e(tr("changes", lang))}</h2>'
        f"<h3>{_e(tr('by_district', lang))}</h3>{_area_table(s.districts, lang, False)}"
        f"<h3>{_e(tr('by_street', lang))}</h3>{_area_table(s.streets, lang, True)}"
        f"<h3>{_e(tr('by_community', lang))}</h3>{note}{_community_table(rows, lang)}"
        "</section>"
    )


def _inline(svg: str) -> str:
    """An SVG for inline use in HTML (the namespace declaration is implied there)."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)


def _charts(s: PlanSummary, lang: str) -> str:
    charts = plan_charts(s, lang)
    return (
        f'<section id="charts"><h2>{_e(tr("charts", lang))}</h2>'
        + "".join(_inline(svg) for svg in charts.values())
        + "</section>"
    )


def risk_line(risk: Risk, lang: str) -> str:
    if risk.key == "elasticity":
        path, words, value = risk.examples
        shown = parameter_label(path, lang)
        label = words if shown == path else shown
        return tr(
            "risk_elasticity", lang, label=label, value=fmt.number(10 * float(value), 1, sign=True)
        )
    sep = "、" if lang == "zh" else ", "
    examples = sep.join(risk.examples) + ("…" if risk.count > len(risk.examples) else "")
    return tr(f"risk_{risk.key}", lang, n=fmt.count(risk.count), ex=examples)


def _risks(s: PlanSummary, lang: str, sensitivity: SensitivityPart | None) -> str:
    lines = [risk_line(r, lang) for r in s.risks]
    if sensitivity is not None:
        lines += list(sensitivity.lines)
    items = (
        "".join(f"<li>{_e(line)}</li>" for line in lines) or f"<li>{_e(tr('no_risks', lang))}</li>"
    )
    return (
        f'<section id="risks"><h2>{_e(tr("risks", lang))}</h2>'
        f'<ul class="risks">{items}</ul></section>'
    )


def _about(s: PlanSummary, lang: str, date: str) -> str:
    tags = "；".join if lang == "zh" else "; ".join
    tag_text = (
        tags(f"{tr('tag_' + k, lang)} [{k}] {fmt.count(n)}" for k, n in s.source_tags) or fmt.NA
    )
    if s.source:
        tag_text += f" · {s.source}"
    curves = tr("curves_simulated" if s.curve_source == "simulated" else "curves_given", lang)
    rows = [
        (
            tr("about_scenario", lang),
            f"{s.scenario_zh}（{s.scenario}）：{s.description}"
            if lang == "zh"
            else f"{s.scenario}: {s.description}",
        ),
        (tr("about_date", lang), date),
        (tr("about_seed", lang), str(s.seed)),
        (tr("about_curves", lang), curves),
        (
            tr("about_check", lang),
            tr("about_check_v", lang, seed=s.check_seed, n=s.check_replications)
            if s.checked
            else tr("not_checked", lang),
        ),
        (tr("about_interval", lang), tr("about_interval_v", lang)),
        (tr("about_units", lang), tr("about_units_v", lang)),
        (tr("about_sources", lang), tag_text),
    ]
    if s.paid_overtime_yuan > 0:
        rows.append((tr("about_overtime", lang), fmt.money(s.paid_overtime_yuan, lang)))
    body = "".join(
        f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in rows
    )
    return (
        f'<section id="about"><h2>{_e(tr("about", lang))}</h2>'
        f"<table><tbody>{body}</tbody></table></section>"
    )


# --- writing --------------------------------------------------------------------------------------

CHART_FILES = ("chart-posts.svg", "chart-service.svg", "chart-budget.svg")


def report_path(report: str | None, out: Path | None) -> Path | None:
    """Where ``--report`` writes: the PATH given, or ``report.html`` in ``--out`` (in the current
    folder without ``--out``); None without ``--report``. ``""`` stands for ``--report`` alone."""
    if report is None:
        return None
    if report:
        return Path(report)
    return (out or Path(".")) / REPORT_NAME


def write_plan_charts(summary: PlanSummary, out: Path, lang: str = "zh") -> list[Path]:
    """The plan's charts as SVG files in ``out`` (same summary, same bytes), staged then renamed."""
    charts = plan_charts(summary, lang)
    files = [(out / f"{stem}.svg", svg.encode("utf-8")) for stem, svg in charts.items()]
    atomic_write_many(files)
    return [path for path, _ in files]


def write_plan_report(
    summary: PlanSummary,
    path: Path,
    lang: str = "zh",
    *,
    date: str,
    sensitivity: SensitivityPart | None = None,
) -> Path:
    text = plan_report(summary, lang, date=date, sensitivity=sensitivity)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


# --- the sensitivity report -----------------------------------------------------------------------

SENSITIVITY_SECTIONS = ("headline", "sensitivity", "risks", "about")

TS: dict[str, tuple[str, str]] = {
    "title": ("{name}敏感性分析", "Sensitivity: {name}"),
    "meta": (
        "情景 {scenario} · 生成日期 {date} · 随机种子 {seed} · 每个参数分别上调、下调{change}",
        "scenario {scenario} · made {date} · seed {seed} · each input moved ±{change} alone",
    ),
    "posts": ("达到全部目标所需社工岗", "Posts every target needs"),
    "cost": ("其每年成本", "Their cost a year"),
    "cost_parts": ("社工岗 {posts} + 经费 {funds}", "posts {posts} + funds {funds}"),
    "widest": ("影响最大的参数", "The input that moves it most"),
    "widest_v": (
        "下调{change}：{low}个；上调{change}：{high}个",
        "lowered {change}: {low}; raised {change}: {high}",
    ),
    "tornado_x": ("所需社工岗变化（个）", "change in posts needed"),
    "frontier_x": ("社工岗总量（个）", "posts pool"),
    "uncertain": (
        "需求在±{spread}内随机变化（{draws}次抽样）时，{n}个社区达标概率低于90%：{ex}",
        "With demand drawn within ±{spread} ({draws} draws), {n} communities meet their target "
        "with a probability below 90%: {ex}",
    ),
    "all_sure": (
        "需求在±{spread}内随机变化（{draws}次抽样）时，每个社区达标概率不低于90%。",
        "With demand drawn within ±{spread} ({draws} draws), every community meets its target "
        "with a probability of 90% or more.",
    ),
    "swing_risk": (
        "“{label}”上调{change}，需要的社工岗变化{delta}个（{cost}）。",
        "“{label}” {change} higher changes the posts needed by {delta} ({cost}).",
    ),
}


def ts(key: str, lang: str, **values: object) -> str:
    zh, en = TS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def _swing_label(line: SwingLine, summary: SensitivitySummary, lang: str) -> str:
    names = {k: zh if lang == "zh" else en for k, zh, en in summary.categories}
    shown = parameter_label(line.path, lang, names)
    return line.label if shown == line.path else shown


def sensitivity_report(summary: SensitivitySummary, lang: str = "zh", *, date: str) -> str:
    """The sensitivity run as one HTML page: what the targets need, the tornado of the posts
    figure, the budget frontier, the risks (inputs that move it most, communities unsure under
    demand drawn at random), and where the figures come from."""
    from jiedao.export.svg import frontier_chart, tornado_chart

    s = summary
    name = s.scenario_zh if lang == "zh" else s.scenario
    change = fmt.pct(s.change, decimals=0)
    ranked = s.tornado()
    tornado = [
        (_swing_label(line, s, lang), float(lo), float(hi), line.path) for line, lo, hi in ranked
    ]
    cards = [
        _card(
            ts("posts", lang),
            fmt.count(s.posts_base),
            tr("per_post", lang, cost=fmt.yuan(s.post_cost_yuan)),
        ),
    ]
    if s.cost_base_yuan is not None and s.posts_base is not None:
        funds = s.cost_base_yuan - s.posts_base * s.post_cost_yuan
        money = fmt.wan if lang == "zh" else fmt.yuan
        cards.append(
            _card(
                ts("cost", lang),
                fmt.money(s.cost_base_yuan, lang),
                ts(
                    "cost_parts",
                    lang,
                    posts=money(s.posts_base * s.post_cost_yuan),
                    funds=money(funds),
                ),
            )
        )
    if tornado:
        top = tornado[0]
        cards.append(
            _card(
                ts("widest", lang),
                top[0],
                ts(
                    "widest_v",
                    lang,
                    change=change,
                    low=fmt.count(top[1], sign=True),
                    high=fmt.count(top[2], sign=True),
                ),
            )
        )
    risks = []
    for line, _lo, hi in [r for r in ranked if r[1] or r[2]][:3]:
        cost = (
            fmt.money(line.cost_high_yuan - s.cost_base_yuan, lang, sign=True)
            if line.cost_high_yuan is not None and s.cost_base_yuan is not None
            else fmt.NA
        )
        risks.append(
            ts(
                "swing_risk",
                lang,
                label=_swing_label(line, s, lang),
                change=change,
                delta=fmt.count(hi, sign=True),
                cost=cost,
            )
        )
    if s.uncertain:
        unsure = [u for u in s.uncertain if u[1] < 0.9]
        spread = fmt.pct(s.spread, decimals=0)
        if unsure:
            sep = "、" if lang == "zh" else ", "
            ex = sep.join(f"{n} {fmt.pct(p)}" for n, p, _, _ in unsure[:5])
            risks.append(ts("uncertain", lang, spread=spread, draws=s.draws, n=len(unsure), ex=ex))
        else:
            risks.append(ts("all_sure", lang, spread=spread, draws=s.draws))
    items = "".join(f"<li>{_e(r)}</li>" for r in risks) or f"<li>{_e(tr('no_risks', lang))}</li>"
    tags = ("；" if lang == "zh" else "; ").join(
        f"{tr('tag_' + k, lang)} [{k}] {fmt.count(n)}" for k, n in s.source_tags
    ) or fmt.NA
    about = [
        (tr("about_scenario", lang), f"{s.scenario}: {s.description}"),
        (tr("about_date", lang), date),
        (tr("about_seed", lang), str(s.seed)),
        (tr("about_sources", lang), tags + (f" · {s.source}" if s.source else "")),
    ]
    body = "".join(
        f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in about
    )
    charts = [tornado_chart(tornado, lang, x_label=ts("tornado_x", lang))]
    if s.frontier:
        charts.append(frontier_chart(s.frontier, ts("frontier_x", lang), lang))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(ts('title', lang, name=name))}</title><style>{CSS}</style></head>",
        "<body><header>",
        f"<h1>{_e(ts('title', lang, name=name))}</h1>",
        '<p class="meta">'
        + _e(ts("meta", lang, scenario=s.scenario, date=date, seed=s.seed, change=change))
        + "</p></header>",
        f'<section id="headline"><h2>{_e(tr("headline", lang))}</h2>'
        f'<div class="cards">{"".join(cards)}</div></section>',
        f'<section id="sensitivity"><h2>{_e(tr("sensitivity", lang))}</h2>'
        + "".join(_inline(c) for c in charts)
        + "</section>",
        f'<section id="risks"><h2>{_e(tr("risks", lang))}</h2><ul class="risks">{items}</ul>'
        "</section>",
        f'<section id="about"><h2>{_e(tr("about", lang))}</h2>'
        f"<table><tbody>{body}</tbody></table></section>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def write_sensitivity_report(
    summary: SensitivitySummary, path: Path, lang: str = "zh", *, date: str
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, sensitivity_report(summary, lang, date=date))
    return path


# --- the compare report ---------------------------------------------------------------------------

COMPARE_SECTIONS = ("headline", "charts", "about")

TC: dict[str, tuple[str, str]] = {
    "title": ("方案对比：{names}", "Comparison: {names}"),
    "meta": (
        "生成日期 {date} · 随机种子 {seed} · 每个方案{reps}次重复 · "
        "窗口{days}天，网格与执法{case}天",
        "made {date} · seed {seed} · {reps} replications each · windows {days} days, grids and "
        "enforcement {case} days",
    ),
    "metric": ("指标", "figure"),
    "diff": ("{name}减{base}", "{name} − {base}"),
    "significant": ("显著", "significant"),
    "not_significant": ("不显著", "not significant"),
    "paired": (
        "各方案面对同一批群众（共同随机数），差值按重复配对计算",
        "every variant meets the same residents (common random numbers): differences are paired",
    ),
    "independent": (
        "部分业务的运行相互独立，差值用Welch区间",
        "some streams run independently: their differences use Welch's interval",
    ),
}


def _tc(key: str, lang: str, **values: object) -> str:
    zh, en = TC[key]
    return (zh if lang == "zh" else en).format(**values) if values else (zh if lang == "zh" else en)


def _figure_text(line: Any, mean: float | None, half: float | None, lang: str) -> str:
    if line.share:
        return fmt.share_range(mean, half)
    if line.metric.endswith("_min"):
        return fmt.duration(mean, "分钟" if lang == "zh" else "min", half)
    if line.metric == "utilisation":
        return fmt.ratio_pm(mean, half)
    return fmt.pm(mean, half)


def _diff_text(line: Any, mean: float | None, half: float | None, lang: str) -> str:
    if line.share or line.metric == "utilisation":
        return fmt.pp(mean, half)
    unit = (
        " 分钟"
        if lang == "zh" and line.metric.endswith("_min")
        else " min" * line.metric.endswith("_min")
    )
    return fmt.pm(mean, half) + unit if mean is not None else fmt.NA


def compare_report(summary: Any, chart_svg: str, lang: str = "zh", *, date: str) -> str:
    """A comparison as one HTML page: the city's figures per variant with the differences from
    the first, the compare chart (``chart_svg``, inline), and how the runs were made."""
    from jiedao.export.labels import label_or

    s = summary
    names = " / ".join(s.names)
    head = [_tc("metric", lang), *s.names]
    head += [_tc("diff", lang, name=n, base=s.names[0]) for n in s.names[1:]]
    body = []
    for line in s.lines:
        what = f"{label_or(line.stream, lang)}: {label_or(line.metric, lang)}"
        cells = [f'<td class="l">{_e(what)}</td>']
        cells += [_num_cell(_figure_text(line, m, h, lang)) for m, h in line.values]
        for mean, half, significant in line.differences:
            mark = (
                ""
                if significant is None
                else f" · {_tc('significant' if significant else 'not_significant', lang)}"
            )
            cells.append(_num_cell(_diff_text(line, mean, half, lang) + mark))
        body.append(f"<tr>{''.join(cells)}</tr>")
    about = [
        (
            tr("about_scenario", lang),
            ", ".join(f"{n} = {sc}" for n, sc in zip(s.names, s.scenarios, strict=True)),
        ),
        (tr("about_date", lang), date),
        (tr("about_seed", lang), str(s.seed)),
        (tr("about_interval", lang), tr("about_interval_v", lang)),
        (tr("about_units", lang), tr("about_units_v", lang)),
    ]
    rows = "".join(
        f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in about
    )
    svg = re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", chart_svg.strip())
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_tc('title', lang, names=names))}</title><style>{CSS}</style></head>",
        "<body><header>",
        f"<h1>{_e(_tc('title', lang, names=names))}</h1>",
        '<p class="meta">'
        + _e(
            _tc(
                "meta",
                lang,
                date=date,
                seed=s.seed,
                reps=s.replications,
                days=s.days,
                case=s.case_days,
            )
        )
        + "</p></header>",
        f'<section id="headline"><h2>{_e(tr("headline", lang))}</h2>'
        f"<p>{_e(_tc('paired' if s.paired else 'independent', lang))}</p>"
        f"{_table(head, body)}</section>",
        f'<section id="charts"><h2>{_e(tr("charts", lang))}</h2>'
        f'<div class="chart">{svg}</div></section>',
        f'<section id="about"><h2>{_e(tr("about", lang))}</h2>'
        f"<table><tbody>{rows}</tbody></table></section>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


# --- the simulate report --------------------------------------------------------------------------

SIMULATE_SECTIONS = ("headline", "charts", "about")

TM: dict[str, tuple[str, str]] = {
    "title": ("{name}服务模拟", "Simulation: {name}"),
    "meta": (
        "生成日期 {date} · 随机种子 {seed} · {reps}次重复 · "
        "窗口{days}天，网格与执法{case}天（未折算为全年）",
        "made {date} · seed {seed} · {reps} replications · windows {days} days, grids and "
        "enforcement {case} days (not annualised)",
    ),
    "stream": ("业务", "stream"),
    "target": ("目标", "target"),
    "share": ("目标内占比（95%区间）", "within target (95% interval)"),
    "median": ("中位用时", "median time"),
    "p90": ("90%分位用时", "90th percentile"),
    "late": ("放弃或超时未办", "gave up or open past target"),
}


def _tm(key: str, lang: str, **values: object) -> str:
    zh, en = TM[key]
    return (zh if lang == "zh" else en).format(**values) if values else (zh if lang == "zh" else en)


def simulate_report(summary: Any, chart_svg: str, lang: str = "zh", *, date: str) -> str:
    """A simulation as one HTML page: per stream its target, the share within it (as the tables
    give it), the median and 90th percentile time in the stream's unit, who gave up or is still
    open past it, and the waiting-time chart inline."""
    from jiedao.export.labels import label_or

    s = summary
    name = s.scenario_zh if lang == "zh" else s.scenario
    head = [_tm(k, lang) for k in ("stream", "target", "share", "median", "p90", "late")]
    body = []
    for line in s.streams:
        unit = ("分钟" if line.unit == "min" else "天") if lang == "zh" else line.unit
        share = fmt.share_range(line.share.mean, line.share.half) if line.share else fmt.NA
        body.append(
            "<tr>"
            f'<td class="l">{_e(label_or(line.stream, lang))}</td>'
            + _num_cell(fmt.duration(line.target, unit))
            + _num_cell(share)
            + _num_cell(fmt.duration(line.median, unit))
            + _num_cell(fmt.duration(line.p90, unit))
            + _num_cell(fmt.pct(line.not_in_time))
            + "</tr>"
        )
    tags = ("；" if lang == "zh" else "; ").join(
        f"{tr('tag_' + k, lang)} [{k}] {fmt.count(n)}" for k, n in s.source_tags
    ) or fmt.NA
    about = [
        (tr("about_scenario", lang), f"{s.scenario}: {s.description}"),
        (tr("about_date", lang), date),
        (tr("about_seed", lang), str(s.seed)),
        (tr("about_interval", lang), tr("about_interval_v", lang)),
        (tr("about_units", lang), tr("about_units_v", lang)),
        (tr("about_sources", lang), tags),
    ]
    rows = "".join(
        f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in about
    )
    svg = re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", chart_svg.strip())
    meta = _tm(
        "meta", lang, date=date, seed=s.seed, reps=s.replications, days=s.days, case=s.case_days
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_tm('title', lang, name=name))}</title><style>{CSS}</style></head>",
        "<body><header>",
        f"<h1>{_e(_tm('title', lang, name=name))}</h1>",
        f'<p class="meta">{_e(meta)}</p></header>',
        f'<section id="headline"><h2>{_e(tr("headline", lang))}</h2>{_table(head, body)}</section>',
        f'<section id="charts"><h2>{_e(tr("charts", lang))}</h2>'
        f'<div class="chart">{svg}</div></section>',
        f'<section id="about"><h2>{_e(tr("about", lang))}</h2>'
        f"<table><tbody>{rows}</tbody></table></section>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)
