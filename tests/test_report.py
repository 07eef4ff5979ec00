"""The pilot report: self-contained HTML (+ JSON, CSV), escaping, verdict, comparison, languages,
the ``report`` and ``export`` commands, and (when Chromium is installed) a real render.

Runs use the fake env (single-task, serial); one end-to-end test runs the pilot suite on the real
env with small settings through the command line.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from conftest import requires_real_env
from omegaconf import OmegaConf

from humanoid_bench.errors import ConfigError
from humanoid_bench.paths import conf_dir
from humanoid_bench.report.commands import export, report_settings
from humanoid_bench.report.pilot import CSP, REPORT_CSV, REPORT_HTML, REPORT_JSON, write_report
from humanoid_bench.runner import run_benchmark

REPO = Path(__file__).resolve().parents[1]
EVIL = "<script>alert(1)</script>"
RUN = ["suite=none", "runner=serial", "runner.progress=off", "report.enabled=false"]


@pytest.fixture
def two_runs(fake_cfg, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    run_benchmark(fake_cfg(*RUN, "episodes=6", f"policy.name='{EVIL}'"), a)
    run_benchmark(fake_cfg(*RUN, "episodes=6", "policy.name=calm", "policy.scale=0.2"), b)
    return a, b


def settings(**thresholds) -> dict:
    cfg = OmegaConf.to_container(OmegaConf.load(conf_dir() / "report" / "default.yaml"))
    cfg["thresholds"].update(thresholds)
    return cfg


def test_report_is_self_contained_and_escapes_user_strings(two_runs) -> None:
    a, _ = two_runs
    path = write_report([a], a, settings())
    html = path.read_text(encoding="utf-8")
    assert (a / REPORT_JSON).is_file() and (a / REPORT_CSV).is_file()
    # nothing to fetch: every src/href is a data: URI, no scripts, stylesheets, fonts or imports
    refs = re.findall(r'(?:src|href|action|poster|data)\s*=\s*["\']([^"\']*)', html, flags=re.IGNORECASE)
    assert refs and all(r.startswith("data:image/") for r in refs), [r[:40] for r in refs if not r.startswith("data:")]
    assert not re.search(r"https?://|<script|<link|<iframe|<object|<embed|@import|url\(", html, flags=re.IGNORECASE)
    assert f'content="{CSP}"' in unescape(html) and "default-src 'none'" in CSP
    # the user-supplied policy name is escaped wherever it appears
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = json.loads((a / REPORT_JSON).read_text())
    assert data["subjects"][0]["policy"] == EVIL  # JSON keeps the raw string


def test_report_covers_identity_cells_plots_and_worst_episodes(two_runs) -> None:
    a, _ = two_runs
    html = write_report([a], a, settings()).read_text(encoding="utf-8")
    data = json.loads((a / REPORT_JSON).read_text())
    subject = data["subjects"][0]
    assert subject["robot"] == "wheeled_humanoid" and subject["sites"] == ["empty"]
    assert subject["started"] and "python" in subject["software"] and "humanoid-bench" in subject["software"]
    (cell,) = data["cells"]
    res = cell["results"][0]
    assert cell["cell_id"] == "fake_task/medium/empty" and res["stats"]["episodes"] == 6
    assert res["config_hash"] in html[:20000] or res["config_hash"][:16] in html
    assert len(res["worst"]) == 3 and not res["worst"][0]["success"]  # the fall (seed 4) comes first
    assert {row["type"] for row in res["events"]} >= {"collision", "separation_breach"}
    for heading in ("Success rate with 95% Wilson interval", "Throughput per episode", "Cycle time per unit",
                    "Safety events per simulated hour, by type", "Minimum human separation over time"):
        assert heading in html
    assert html.count("data:image/png;base64,") == 5
    with open(a / REPORT_CSV) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["episodes"] == "6" and float(rows[0]["success_rate"]) == pytest.approx(5 / 6)


def test_verdict_checks_each_threshold_with_evidence(two_runs) -> None:
    a, _ = two_runs
    write_report([a], a, settings(success_rate_min=0.9, critical_events_max=0,
                                  throughput_uph_min={"fake_task": 1000}))
    crit = {c["key"]: c for c in json.loads((a / REPORT_JSON).read_text())["verdicts"][0]["criteria"]}
    assert crit["success"]["pass"] is False and "5/6" in crit["success"]["evidence"]
    assert crit["critical"]["pass"] is False and "separation_breach" in crit["critical"]["evidence"]
    assert crit["throughput:fake_task"]["pass"] is True and "UPH" in crit["throughput:fake_task"]["evidence"]
    assert crit["complete"]["pass"] is True
    lenient = settings(success_rate_min=0.5, critical_events_max=10, throughput_uph_min={})
    write_report([a], a, lenient)
    verdict = json.loads((a / REPORT_JSON).read_text())["verdicts"][0]
    assert verdict["pass"] is True
    assert {c["key"]: c["pass"] for c in verdict["criteria"]}["throughput:fake_task"] is None  # not assessed
    strict_ci = settings(success_rate_min=0.5, success_basis="ci_low", critical_events_max=10)
    write_report([a], a, strict_ci)  # Wilson low of 5/6 is about 0.44
    assert json.loads((a / REPORT_JSON).read_text())["verdicts"][0]["pass"] is False


def test_comparison_mode_side_by_side(two_runs, tmp_path: Path) -> None:
    a, b = two_runs
    out = tmp_path / "cmp"
    html = write_report([a, b], out, settings()).read_text(encoding="utf-8")
    data = json.loads((out / REPORT_JSON).read_text())
    assert [s["policy"] for s in data["subjects"]] == [EVIL, "calm"]
    (cell,) = data["cells"]
    (comp,) = cell["comparisons"]
    assert comp["episodes"] == [6, 6] and comp["success_test"] == "barnard_exact"
    assert 0.0 <= comp["success_p_value"] <= 1.0 and comp["success_diff_ci95"][0] <= 0.0 <= comp["success_diff_ci95"][1]
    assert "Comparison per cell" in html and "Barnard p" in html
    assert len(data["verdicts"]) == 2


def test_merging_the_jobs_of_one_subject(fake_cfg, tmp_path: Path) -> None:
    """Two runs of the same robot/policy/config with different seeds (e.g. multirun jobs) merge."""
    run_benchmark(fake_cfg(*RUN, "episodes=2", "seed=0"), tmp_path / "j0")
    run_benchmark(fake_cfg(*RUN, "episodes=2", "seed=10"), tmp_path / "j1")
    write_report([tmp_path / "j0", tmp_path / "j1"], tmp_path / "m", settings())
    data = json.loads((tmp_path / "m" / REPORT_JSON).read_text())
    assert len(data["subjects"]) == 1


def test_korean_labels(two_runs) -> None:
    a, _ = two_runs
    html = write_report([a], a, {**settings(), "lang": "ko"}).read_text(encoding="utf-8")
    assert 'lang="ko"' in html and "판정" in html and "셀별 결과" in html
    with pytest.raises(ConfigError, match="report.lang"):
        write_report([a], a, {**settings(), "lang": "fr"})


def test_report_settings_overrides() -> None:
    cfg = report_settings(["report.lang=ko", "thresholds.success_rate_min=0.8", "report.thresholds.throughput_uph_min.x=5"])
    assert cfg.lang == "ko" and cfg.thresholds.success_rate_min == 0.8 and cfg.thresholds.throughput_uph_min.x == 5
    with pytest.raises(ConfigError, match="unknown report setting 'colour'"):
        report_settings(["report.colour=red"])
    with pytest.raises(ConfigError, match="unknown report"):
        report_settings(["report=nosuch"])


def test_report_and_export_commands(cli, two_runs, tmp_path: Path) -> None:
    a, b = two_runs
    proc = cli("report", str(a), str(b), "--out", "cmp", "report.lang=ko")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "cmp" / REPORT_HTML).is_file()
    proc = cli("export", str(a), "--out", "csv")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "csv" / "episodes.csv") as f:
        assert len(list(csv.DictReader(f))) == 6
    assert (tmp_path / "csv" / "events.csv").is_file() and (tmp_path / "csv" / "runs.csv").is_file()
    for args, needle in ((["report"], "RUN_DIR"), (["report", str(tmp_path / "nope")], "no results store"),
                         (["report", str(a), "report.colour=red"], "colour"),
                         (["export", str(a), "--format", "xlsx"], "format")):
        bad = cli(*args)
        lines = [ln for ln in bad.stderr.splitlines() if ln.strip() and not ln.startswith(("pybullet", "argv"))]
        assert bad.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], bad.stderr


def test_parquet_export_matches_the_store(two_runs, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    a, b = two_runs
    written = export([a / "results.db", b / "results.db"], tmp_path / "pq", "parquet")
    assert {p.name for p in written} == {"runs.parquet", "cells.parquet", "episodes.parquet", "events.parquet"}
    table = pq.read_table(tmp_path / "pq" / "episodes.parquet")
    assert table.num_rows == 12 and "source" in table.column_names and "success" in table.column_names
    n_events = sum(sqlite3.connect(d / "results.db").execute("SELECT COUNT(*) FROM events").fetchone()[0] for d in (a, b))
    assert pq.read_table(tmp_path / "pq" / "events.parquet").num_rows == n_events


@pytest.mark.skipif(not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
                    reason="no Chromium on this machine (apt-get install chromium)")
def test_report_renders_in_headless_chromium_without_requests(two_runs, tmp_path: Path) -> None:
    a, _ = two_runs
    path = write_report([a], a, settings())
    script = REPO / "benchmarks" / "report_screenshot.py"
    proc = subprocess.run([sys.executable, str(script), str(path), "--out", str(tmp_path / "shot.png")],
                          capture_output=True, text=True, timeout=180,
                          check=False)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["requests"] == [] and not result["blank"] and proc.returncode == 0, result
    selftest = subprocess.run([sys.executable, str(script), "--selftest"], capture_output=True, text=True, timeout=180,
                          check=False)
    assert selftest.returncode == 0, selftest.stdout  # the detector does catch a page that fetches


@requires_real_env
def test_run_without_task_runs_the_suite_and_writes_the_report(cli, tmp_path: Path) -> None:
    """The default command (here with small settings): results.db, summary.json, report.html."""
    proc = cli("run", "suite=k_humanoid_pilot_v2", "episodes=1", "task.env_kwargs.units_target=1",
               "task.env_kwargs.time_budget_s=6", "hydra.run.dir=out")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    for name in ("results.db", "summary.json", "report.html", "report.json", "report.csv"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suite"] == "k_humanoid_pilot_v2" and summary["suite_version"] == "2.0"
    assert {c["site"] for c in summary["cells"]} == {"empty", "coworkers"}
    assert "episodes=1" in summary["suite_modified"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "k_humanoid_pilot_v2 v2.0" in html and "data:image/jpeg;base64," in html  # keyframes
