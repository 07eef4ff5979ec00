"""The pilot report: one self-contained HTML file, plus the JSON and CSV it was made from.

``write_report(paths, out_dir, report_cfg)`` reads one or more results stores (run folders or
``.db`` files), groups their cells by subject (robot / policy) and by cell (task / difficulty /
site), checks the acceptance thresholds of ``conf/report/`` and writes ``report.html``,
``report.json`` and ``report.csv``. Several subjects put the report in comparison mode: cells
side by side, each subject against the first (the baseline).

The HTML loads nothing: styles are inline, plots and keyframes are ``data:`` URIs, and a Content
Security Policy forbids every fetch. Jinja2 autoescaping escapes every string that comes from a
user (policy and robot names, task names, reasons).
"""

from __future__ import annotations

import base64
import csv
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from humanoid_bench.errors import ConfigError
from humanoid_bench.report import plots
from humanoid_bench.report.i18n import LANGS, labels
from humanoid_bench.report.summary import _clean
from humanoid_bench.runner.store import DB_NAME, ResultsStore
from humanoid_bench.safety.events import EVENT_TYPES, SEVERITIES
from humanoid_bench.scoring.record import EpisodeRecord
from humanoid_bench.scoring.stats import compare_groups, group_stats

log = logging.getLogger(__name__)

REPORT_HTML, REPORT_JSON, REPORT_CSV = "report.html", "report.json", "report.csv"
BASES = ("point", "ci_low")
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Content Security Policy of the report: nothing may be fetched, inline styles and data: images only
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@dataclass
class ReportSettings:
    lang: str = "en"
    title: str | None = None
    worst_episodes: int = 3
    success_rate_min: float | None = 0.9
    success_basis: str = "point"
    critical_events_max: int | None = 0
    throughput_uph_min: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_cfg(cls, cfg: DictConfig | dict[str, Any] | None) -> ReportSettings:
        data = (OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg or {}))
        assert isinstance(data, dict)
        th = data.get("thresholds") or {}
        s = cls(lang=str(data.get("lang", "en")), title=data.get("title"),
                worst_episodes=int(data.get("worst_episodes", 3)),
                success_rate_min=th.get("success_rate_min", 0.9), success_basis=str(th.get("success_basis", "point")),
                critical_events_max=th.get("critical_events_max", 0),
                throughput_uph_min={str(k): float(v) for k, v in (th.get("throughput_uph_min") or {}).items()
                                    if v is not None})
        if s.lang not in LANGS:
            raise ConfigError(f"report.lang must be one of {', '.join(LANGS)}, got {s.lang!r}")
        if s.success_basis not in BASES:
            raise ConfigError(f"report.thresholds.success_basis must be one of {', '.join(BASES)}, "
                              f"got {s.success_basis!r}")
        if s.success_rate_min is not None and not 0.0 <= float(s.success_rate_min) <= 1.0:
            raise ConfigError(f"report.thresholds.success_rate_min is a fraction in [0, 1], got {s.success_rate_min}")
        return s


@dataclass
class Subject:
    """A robot / policy pair (plus the source folder when two runs of the same pair differ)."""

    label: str
    robot: str
    policy: str
    suites: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    started: str | None = None
    finished: str | None = None
    software: dict[str, str] = field(default_factory=dict)
    modified: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """One subject's episodes on one cell."""

    cell_id: str
    task: str
    difficulty: str | None
    site: str | None
    subject: int
    config_hash: str
    seeds: list[int]
    records: list[EpisodeRecord]
    store: Path


@dataclass
class _Raw:
    robot: str
    policy: str
    source: str
    entry: Entry
    run: dict[str, Any]


def resolve_store(path: str | Path) -> Path:
    """``RUN_DIR`` -> ``RUN_DIR/results.db``; a ``.db`` file stays as it is."""
    p = Path(path)
    if p.is_dir():
        p = p / DB_NAME
    if not p.is_file():
        raise ConfigError(f"no results store at {str(path)!r}; expected a run folder with {DB_NAME} (or a .db file)")
    return p


# -------------------------------------------------------------------------------------- collect
def _collect_store(path: Path) -> tuple[list[_Raw], list[dict[str, Any]]]:
    raws: dict[str, _Raw] = {}
    skipped: dict[tuple[str, str, str], dict[str, Any]] = {}
    with ResultsStore(path) as store:
        runs = store.runs()
        by_run = {r["run_id"]: r for r in runs}
        cells = store.cells()
        for run in runs:
            for cell in (c for c in cells if c["run_id"] == run["run_id"]):
                key = (run["robot"], run["policy"], cell["cell_id"])
                if cell["status"] == "skipped":
                    skipped[key] = {"robot": run["robot"], "policy": run["policy"], "cell_id": cell["cell_id"],
                                    "reason": cell["reason"], "source": str(path)}
                    continue
                skipped.pop(key, None)
                records = store.episodes(cell["config_hash"], cell["seeds"])
                entry = Entry(cell["cell_id"], cell["task"], cell["difficulty"], cell["site"], -1, cell["config_hash"],
                              list(cell["seeds"]), records, path)
                raws[cell["config_hash"]] = _Raw(run["robot"], run["policy"], str(path.parent.name), entry, run)
        if not cells:  # a store written before cells were recorded: one cell per config hash
            for rec_hash in {r.config_hash for r in store.episodes()}:
                records = store.episodes(rec_hash)
                r0 = records[0]
                run = by_run.get(r0.run_id, {})
                cell_id = f"{r0.task}/{r0.difficulty or '-'}/{r0.site or '-'}"
                entry = Entry(cell_id, r0.task, r0.difficulty, r0.site, -1, rec_hash, [r.seed for r in records],
                              records, path)
                raws[rec_hash] = _Raw(r0.robot, r0.policy, str(path.parent.name), entry, run)
    return list(raws.values()), list(skipped.values())


def collect(paths: Sequence[str | Path]) -> tuple[list[Subject], list[Entry], list[dict[str, Any]]]:
    """Subjects, their cell entries and their skipped cells, from every store in ``paths``."""
    stores = list(dict.fromkeys(resolve_store(p).resolve() for p in paths))
    raws: list[_Raw] = []
    skipped: list[dict[str, Any]] = []
    for path in stores:
        r, s = _collect_store(path)
        raws += r
        skipped += s
    seen: dict[tuple[str, str, str], str] = {}
    by_source = False
    for raw in raws:
        key = (raw.robot, raw.policy, raw.entry.cell_id)
        if key in seen and seen[key] != raw.entry.config_hash:
            by_source = True  # the same pair and cell with two configs: tell the runs apart by folder
        seen[key] = raw.entry.config_hash
    subjects: list[Subject] = []
    index: dict[tuple[str, ...], int] = {}
    for raw in raws:
        key = (raw.robot, raw.policy, raw.source) if by_source else (raw.robot, raw.policy)
        if key not in index:
            label = f"{raw.robot} / {raw.policy}" + (f" ({raw.source})" if by_source else "")
            index[key] = len(subjects)
            subjects.append(Subject(label=label, robot=raw.robot, policy=raw.policy))
        raw.entry.subject = index[key]
        _note_run(subjects[index[key]], raw)
    for s in skipped:
        key = (s["robot"], s["policy"], Path(s["source"]).parent.name) if by_source else (s["robot"], s["policy"])
        s["subject"] = index.get(key)
    entries = [r.entry for r in raws]
    # drop skipped cells that another run of the same subject did run
    ran = {(e.subject, e.cell_id) for e in entries}
    skipped = [s for s in skipped if (s["subject"], s["cell_id"]) not in ran]
    return subjects, entries, skipped


def _note_run(subject: Subject, raw: _Raw) -> None:
    run = raw.run
    if run.get("suite"):
        name = f"{run['suite']} v{run.get('suite_version')}"
        if name not in subject.suites:
            subject.suites.append(name)
    site = raw.entry.site or "-"
    if site not in subject.sites:
        subject.sites.append(site)
    if run.get("started_at") and (subject.started is None or run["started_at"] < subject.started):
        subject.started = run["started_at"]
    if run.get("finished_at") and (subject.finished is None or run["finished_at"] > subject.finished):
        subject.finished = run["finished_at"]
    if run.get("software"):
        subject.software = dict(run["software"])
    for m in (run.get("config") or {}).get("suite_modified") or []:
        if m not in subject.modified:
            subject.modified.append(m)
    if str(raw.entry.store) not in subject.sources:
        subject.sources.append(str(raw.entry.store))


# -------------------------------------------------------------------------------------- verdict
def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def verdict(subject: int, entries: Sequence[Entry], skipped: Sequence[dict[str, Any]], s: ReportSettings,
            lab: dict[str, str]) -> dict[str, Any]:
    """Each acceptance criterion with pass (True), fail (False) or not assessed (None), and its evidence."""
    mine = [e for e in entries if e.subject == subject]
    criteria: list[dict[str, Any]] = []
    # success per cell
    if s.success_rate_min is None:
        criteria.append({"key": "success", "name": lab["crit_success"], "threshold": None, "pass": None,
                         "evidence": lab["not_assessed"]})
    else:
        worst = None
        for e in mine:
            st = group_stats(e.records)
            if not st["episodes"]:
                continue
            value = st["success_rate"] if s.success_basis == "point" else st["success_ci95"][0]
            if worst is None or value < worst[0]:
                worst = (value, e, st)
        if worst is None:
            criteria.append({"key": "success", "name": lab["crit_success"], "pass": False,
                             "threshold": f">= {_pct(s.success_rate_min)}", "evidence": "0 episodes"})
        else:
            value, e, st = worst
            k = sum(r.success for r in e.records)
            ci = st["success_ci95"]
            basis = "" if s.success_basis == "point" else " (95% CI low)"
            criteria.append({
                "key": "success", "name": lab["crit_success"], "threshold": f">= {_pct(s.success_rate_min)}{basis}",
                "pass": value >= float(s.success_rate_min) - 1e-12,
                "evidence": f"lowest: {e.cell_id} {_pct(st['success_rate'])} ({k}/{st['episodes']}, "
                            f"95% CI {_pct(ci[0])}-{_pct(ci[1])})"})
    # critical safety events
    crit = sum(r.critical_events for e in mine for r in e.records)
    by_type: dict[str, int] = {}
    for e in mine:
        for r in e.records:
            for ev in r.events:
                if ev.get("severity") == "critical":
                    by_type[str(ev.get("type"))] = by_type.get(str(ev.get("type")), 0) + 1
    n_eps = sum(len(e.records) for e in mine)
    detail = ", ".join(f"{v} {k}" for k, v in sorted(by_type.items()))
    criteria.append({
        "key": "critical", "name": lab["crit_critical"],
        "threshold": None if s.critical_events_max is None else f"<= {s.critical_events_max}",
        "pass": None if s.critical_events_max is None else crit <= int(s.critical_events_max),
        "evidence": f"{crit} in {n_eps} episodes" + (f" ({detail})" if detail else "")})
    # throughput per task
    for task in sorted({e.task for e in mine}):
        target = s.throughput_uph_min.get(task)
        cells = [(group_stats(e.records), e) for e in mine if e.task == task and e.records]
        if target is None or not cells:
            criteria.append({"key": f"throughput:{task}", "name": f"{lab['crit_throughput']}: {task}",
                             "threshold": None, "pass": None, "evidence": lab["not_assessed"]})
            continue
        st, e = min(cells, key=lambda c: c[0]["throughput_uph"])
        ci = st["throughput_uph_ci95"]
        ci_text = f", 95% CI {ci[0]:.0f}-{ci[1]:.0f}" if ci else ""
        criteria.append({
            "key": f"throughput:{task}", "name": f"{lab['crit_throughput']}: {task}", "threshold": f">= {target:.0f} UPH",
            "pass": st["throughput_uph"] >= target,
            "evidence": f"lowest: {e.cell_id} {st['throughput_uph']:.0f} UPH (n={st['episodes']}{ci_text})"})
    # completeness
    planned = sum(len(e.seeds) for e in mine)
    stored = sum(len(e.records) for e in mine)
    n_skipped = sum(1 for sk in skipped if sk.get("subject") == subject)
    criteria.append({"key": "complete", "name": lab["crit_complete"], "threshold": None,
                     "pass": stored == planned and n_skipped == 0,
                     "evidence": f"{stored}/{planned} episodes; {n_skipped} cell(s) skipped"})
    assessed = [c["pass"] for c in criteria if c["pass"] is not None]
    return {"subject": subject, "pass": bool(assessed) and all(assessed), "criteria": criteria}


# ---------------------------------------------------------------------------------- assemble
def _worst(records: Sequence[EpisodeRecord], n: int) -> list[EpisodeRecord]:
    """Failed episodes first, then more critical events, fewer units, slower cycles."""
    def key(r: EpisodeRecord) -> tuple:
        return (r.success, -r.critical_events, r.units_completed, -(r.cycle_time_s or math.inf), r.seed)

    return sorted(records, key=key)[:n]


def _episode_row(r: EpisodeRecord) -> dict[str, Any]:
    return {"seed": r.seed, "success": r.success, "success_at_end": r.success_at_end,
            "units_completed": r.units_completed, "units_target": r.units_target, "sim_time_s": r.sim_time_s,
            "cycle_time_s": r.cycle_time_s, "end_reason": r.end_reason,
            "events_by_severity": dict(r.events_by_severity),
            "events": [f"{e.get('type')} ({e.get('severity')}) @ {float(e.get('sim_time') or 0):.1f} s"
                       for e in r.events if e.get("severity") in ("critical", "major")][:6]}


def _event_table(records: Sequence[EpisodeRecord]) -> list[dict[str, Any]]:
    hours = sum(r.sim_time_s for r in records) / 3600.0
    rows = []
    for t in EVENT_TYPES:
        counts = {s: 0 for s in SEVERITIES}
        for r in records:
            for e in r.events:
                if e.get("type") == t and e.get("severity") in counts:
                    counts[str(e["severity"])] += 1
        total = sum(counts.values())
        if total:
            rows.append({"type": t, **counts, "total": total, "per_hour": total / hours if hours > 0 else None})
    return rows


def build(paths: Sequence[str | Path], settings: ReportSettings) -> dict[str, Any]:
    """Everything the report shows, as plain data (images aside)."""
    subjects, entries, skipped = collect(paths)
    if not entries:
        raise ConfigError(f"no episodes in {', '.join(str(p) for p in paths)}; run `humanoid-bench run` first")
    lab = labels(settings.lang)
    cell_ids = list(dict.fromkeys(e.cell_id for e in entries))
    cells = []
    for cid in cell_ids:
        per = {e.subject: e for e in entries if e.cell_id == cid}
        first = next(iter(per.values()))
        results = []
        for s in range(len(subjects)):
            e = per.get(s)
            if e is None:
                results.append(None)
                continue
            results.append({"subject": s, "config_hash": e.config_hash, "seeds": [min(e.seeds), max(e.seeds)],
                            "planned": len(e.seeds), "stats": group_stats(e.records),
                            "events": _event_table(e.records),
                            "worst": [_episode_row(r) for r in _worst(e.records, settings.worst_episodes)]})
        comparisons = []
        base = per.get(0)
        for s in range(1, len(subjects)):
            if base is not None and s in per:
                comparisons.append({"baseline": 0, "subject": s, **compare_groups(base.records, per[s].records)})
        cells.append({"cell_id": cid, "task": first.task, "difficulty": first.difficulty, "site": first.site,
                      "results": results, "comparisons": comparisons})
    verdicts = [verdict(i, entries, skipped, settings, lab) for i in range(len(subjects))]
    title = settings.title or f"{lab['title']}: " + "; ".join(s.label for s in subjects)
    return {
        "title": title, "lang": settings.lang, "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "subjects": [vars(s) for s in subjects], "cells": cells, "skipped": skipped, "verdicts": verdicts,
        "thresholds": {"success_rate_min": settings.success_rate_min, "success_basis": settings.success_basis,
                       "critical_events_max": settings.critical_events_max,
                       "throughput_uph_min": settings.throughput_uph_min},
        "config_hashes": {e.cell_id + f" [{subjects[e.subject].label}]": e.config_hash for e in entries},
        "_entries": entries,
    }


# ------------------------------------------------------------------------------------ outputs
CSV_COLUMNS = ("subject", "robot", "policy", "task", "difficulty", "site", "config_hash", "episodes", "planned",
               "success_rate", "success_ci95_low", "success_ci95_high", "success_at_end_rate", "safe_success_rate",
               "throughput_uph", "throughput_uph_ci95_low", "throughput_uph_ci95_high", "cycle_time_s_mean",
               "cycle_time_s_p95", "events_critical", "events_major", "events_minor", "critical_per_hour",
               "min_human_separation_m", "verdict")


def _csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for cell in data["cells"]:
        for res in cell["results"]:
            if res is None:
                continue
            subj = data["subjects"][res["subject"]]
            st = res["stats"]
            sci, tci = st["success_ci95"] or [None, None], st["throughput_uph_ci95"] or [None, None]
            rows.append({
                "subject": subj["label"], "robot": subj["robot"], "policy": subj["policy"], "task": cell["task"],
                "difficulty": cell["difficulty"], "site": cell["site"], "config_hash": res["config_hash"],
                "episodes": st["episodes"], "planned": res["planned"], "success_rate": st["success_rate"],
                "success_ci95_low": sci[0], "success_ci95_high": sci[1],
                "success_at_end_rate": st["success_at_end_rate"], "safe_success_rate": st["safe_success_rate"],
                "throughput_uph": st["throughput_uph"], "throughput_uph_ci95_low": tci[0],
                "throughput_uph_ci95_high": tci[1], "cycle_time_s_mean": st["cycle_time_s_mean"],
                "cycle_time_s_p95": st["cycle_time_s_p95"],
                "events_critical": st["safety_events"]["by_severity"]["critical"],
                "events_major": st["safety_events"]["by_severity"]["major"],
                "events_minor": st["safety_events"]["by_severity"]["minor"],
                "critical_per_hour": st["safety_events_per_hour"]["by_severity"]["critical"],
                "min_human_separation_m": st["min_human_separation_m"],
                "verdict": "pass" if data["verdicts"][res["subject"]]["pass"] else "fail",
            })
    return rows


def _jpeg_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _keyframes(entries: Sequence[Entry], data: dict[str, Any]) -> dict[tuple[str, int, int], list[dict[str, Any]]]:
    """(cell id, subject, seed) -> keyframes of the worst episodes, as data URIs."""
    out: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    by_key = {(e.cell_id, e.subject): e for e in entries}
    stores: dict[Path, ResultsStore] = {}
    try:
        for cell in data["cells"]:
            for res in cell["results"]:
                if res is None:
                    continue
                e = by_key[(cell["cell_id"], res["subject"])]
                store = stores.setdefault(e.store, ResultsStore(e.store))
                for w in res["worst"]:
                    ep = store.episode_id(e.config_hash, w["seed"])
                    frames = store.keyframes(ep) if ep is not None else []
                    out[(cell["cell_id"], res["subject"], w["seed"])] = [
                        {"label": k.label, "sim_time": k.sim_time, "uri": _jpeg_uri(k.jpeg)} for k in frames]
    finally:
        for store in stores.values():
            store.close()
    return out


def render_html(data: dict[str, Any]) -> str:
    """The report page (Jinja2, autoescaped)."""
    import matplotlib.pyplot as plt
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    entries: list[Entry] = data["_entries"]
    lab = labels(data["lang"])
    views = [plots.CellView(e.cell_id, e.subject, e.records) for e in entries]
    names = [s["label"] for s in data["subjects"]]
    font = plots.hangul_font() if data["lang"] == "ko" else None
    with plt.rc_context({"font.family": [font, "DejaVu Sans"]} if font else {}):
        figures = [
            (lab["plot_success"], plots.success_plot(views, names, data["lang"])),
            (lab["plot_throughput"], plots.throughput_plot(views, names, data["lang"])),
            (lab["plot_cycle"], plots.cycle_time_plot(views, names, data["lang"])),
            (lab["plot_events"], plots.events_plot(views, names, data["lang"])),
            (lab["plot_separation"], plots.separation_plot(views, names, data["lang"])),
        ]
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=_f_pct, num=_f_num, ci=_f_ci, pctci=_f_pctci)
    template = env.get_template("report.html.j2")
    return template.render(d=data, L=lab, figures=figures, keyframes=_keyframes(entries, data), csp=CSP,
                           severities=SEVERITIES)


def _f_pct(x: Any) -> str:
    return "-" if x is None else f"{100 * float(x):.0f}%"


def _f_num(x: Any, digits: int = 1) -> str:
    return "-" if x is None else f"{float(x):,.{digits}f}"


def _f_ci(ci: Any, digits: int = 1) -> str:
    return "" if not ci else f"[{float(ci[0]):,.{digits}f}, {float(ci[1]):,.{digits}f}]"


def _f_pctci(ci: Any) -> str:
    return "" if not ci else f"[{100 * float(ci[0]):.0f}, {100 * float(ci[1]):.0f}]"


def write_report(paths: Sequence[str | Path], out_dir: str | Path,
                 report_cfg: DictConfig | dict[str, Any] | None = None) -> Path:
    """Write ``report.html``, ``report.json`` and ``report.csv`` into ``out_dir``; returns the HTML path."""
    settings = ReportSettings.from_cfg(report_cfg)
    data = build(paths, settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(data)
    public = {k: v for k, v in data.items() if not k.startswith("_")}
    (out / REPORT_JSON).write_text(json.dumps(_clean(public), indent=2, allow_nan=False, default=str) + "\n")
    rows = _csv_rows(data)
    with open(out / REPORT_CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    path = out / REPORT_HTML
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    log.info("wrote %s, %s and %s in %s", REPORT_HTML, REPORT_JSON, REPORT_CSV, out)
    return path
