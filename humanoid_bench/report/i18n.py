"""Labels of the pilot report in English and Korean (``report.lang=en|ko``).

Plot labels use the same table when matplotlib has a font with Hangul; otherwise plots fall back
to English (the HTML around them stays in the chosen language).
"""

from __future__ import annotations

from humanoid_bench.errors import ConfigError

LANGS = ("en", "ko")

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Pilot report", "ko": "파일럿 평가 보고서"},
    "robot": {"en": "Robot", "ko": "로봇"},
    "policy": {"en": "Policy", "ko": "정책"},
    "suite": {"en": "Suite", "ko": "평가 스위트"},
    "version": {"en": "version", "ko": "버전"},
    "sites": {"en": "Site profiles", "ko": "현장 프로파일"},
    "date": {"en": "Date", "ko": "일시"},
    "generated": {"en": "Report generated", "ko": "보고서 생성"},
    "software": {"en": "Software", "ko": "소프트웨어"},
    "config_hash": {"en": "Config hash", "ko": "설정 해시"},
    "sources": {"en": "Results stores", "ko": "결과 저장소"},
    "verdict": {"en": "Verdict", "ko": "판정"},
    "criterion": {"en": "Criterion", "ko": "기준"},
    "threshold": {"en": "Threshold", "ko": "기준값"},
    "evidence": {"en": "Evidence", "ko": "근거"},
    "result": {"en": "Result", "ko": "결과"},
    "pass": {"en": "PASS", "ko": "합격"},
    "fail": {"en": "FAIL", "ko": "불합격"},
    "not_assessed": {"en": "not assessed", "ko": "평가 안 함"},
    "overall": {"en": "Overall", "ko": "종합"},
    "crit_success": {"en": "Success rate per cell", "ko": "셀별 성공률"},
    "crit_critical": {"en": "Critical safety events", "ko": "치명 안전 이벤트"},
    "crit_throughput": {"en": "Throughput per task", "ko": "작업별 처리량"},
    "crit_complete": {"en": "Every planned episode ran", "ko": "계획된 모든 에피소드 수행"},
    "modified": {"en": "Not the frozen suite: this run changed", "ko": "고정 스위트와 다름: 변경 사항"},
    "per_cell": {"en": "Results per cell", "ko": "셀별 결과"},
    "cell": {"en": "Cell", "ko": "셀"},
    "task": {"en": "Task", "ko": "작업"},
    "difficulty": {"en": "Difficulty", "ko": "난이도"},
    "site": {"en": "Site", "ko": "현장"},
    "episodes": {"en": "Episodes", "ko": "에피소드"},
    "success": {"en": "Success (ever)", "ko": "성공 (한 번이라도)"},
    "success_at_end": {"en": "Success at end", "ko": "종료 시 성공"},
    "safe_success": {"en": "Safe success", "ko": "안전 성공"},
    "throughput": {"en": "Throughput (units/h)", "ko": "처리량 (개/시간)"},
    "cycle_time": {"en": "Cycle time (s)", "ko": "사이클 타임 (초)"},
    "mean": {"en": "mean", "ko": "평균"},
    "p95": {"en": "p95", "ko": "p95"},
    "ci95": {"en": "95% CI", "ko": "95% 신뢰구간"},
    "safety_events": {"en": "Safety events", "ko": "안전 이벤트"},
    "type": {"en": "Type", "ko": "유형"},
    "severity": {"en": "Severity", "ko": "심각도"},
    "count": {"en": "Count", "ko": "건수"},
    "per_hour": {"en": "per hour", "ko": "시간당"},
    "none": {"en": "none", "ko": "없음"},
    "end_reasons": {"en": "End reasons", "ko": "종료 사유"},
    "worst": {"en": "Worst episodes", "ko": "최악 에피소드"},
    "seed": {"en": "Seed", "ko": "시드"},
    "units": {"en": "Units", "ko": "완료 수"},
    "end_reason": {"en": "End", "ko": "종료"},
    "critical": {"en": "critical", "ko": "치명"},
    "major": {"en": "major", "ko": "중대"},
    "minor": {"en": "minor", "ko": "경미"},
    "no_keyframes": {"en": "no keyframes stored", "ko": "저장된 키프레임 없음"},
    "skipped": {"en": "Skipped cells", "ko": "건너뛴 셀"},
    "reason": {"en": "Reason", "ko": "사유"},
    "lost": {"en": "Episodes lost to a dead worker (rerun to complete)", "ko": "워커 중단으로 유실된 에피소드 (재실행 필요)"},
    "plots": {"en": "Plots", "ko": "그래프"},
    "plot_success": {"en": "Success rate with 95% Wilson interval", "ko": "성공률과 95% Wilson 신뢰구간"},
    "plot_throughput": {"en": "Throughput per episode", "ko": "에피소드별 처리량"},
    "plot_cycle": {"en": "Cycle time per unit", "ko": "단위 작업별 사이클 타임"},
    "plot_events": {"en": "Safety events per simulated hour, by type", "ko": "유형별 시뮬레이션 시간당 안전 이벤트"},
    "plot_separation": {"en": "Minimum human separation over time", "ko": "시간에 따른 최소 작업자 이격 거리"},
    "comparison": {"en": "Comparison per cell", "ko": "셀별 비교"},
    "baseline": {"en": "baseline", "ko": "기준"},
    "difference": {"en": "Difference (vs baseline)", "ko": "차이 (기준 대비)"},
    "p_value": {"en": "Barnard p", "ko": "Barnard p값"},
    "missing": {"en": "not run", "ko": "미수행"},
    "seconds": {"en": "s", "ko": "초"},
    "separation_m": {"en": "separation (m)", "ko": "이격 거리 (m)"},
    "sim_time_s": {"en": "simulated time (s)", "ko": "시뮬레이션 시간 (초)"},
    "events_per_hour": {"en": "events per hour", "ko": "시간당 이벤트"},
    "success_rate": {"en": "success rate", "ko": "성공률"},
    "no_humans": {"en": "No cell has people in the scene.", "ko": "작업자가 있는 셀이 없습니다."},
    "method": {"en": "Method", "ko": "방법"},
    "method_text": {
        "en": "Success is latched (the task condition held at some step); success at end is the condition at the "
              "last step. Rates carry 95% Wilson intervals, throughput and cycle time 95% bootstrap intervals "
              "(9,999 resamples, fixed seed). Comparisons: difference B - A with Newcombe's interval and "
              "Barnard's exact test. Times are simulated.",
        "ko": "성공은 래치 방식(어느 스텝에서든 작업 조건 충족)이며, 종료 시 성공은 마지막 스텝의 조건입니다. "
              "비율은 95% Wilson 신뢰구간, 처리량과 사이클 타임은 95% 부트스트랩 신뢰구간(9,999회 재표본, 고정 시드)을 "
              "씁니다. 비교: B - A 차이에 Newcombe 구간과 Barnard 정확 검정. 시간은 시뮬레이션 시간입니다.",
    },
}


def labels(lang: str) -> dict[str, str]:
    """Every label in ``lang``; raises ConfigError for a language the report does not have."""
    if lang not in LANGS:
        raise ConfigError(f"report.lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return {key: texts[lang] for key, texts in LABELS.items()}
