"""promtool checks of the shipped Prometheus files: config and rules are valid, rule unit tests pass,
and every alert has a firing case and a quiet case in those unit tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sample_app.prometheus_server import RULE_FILES, config_dir, derived_config

RULES = config_dir() / "alert_rules.yml"
RULE_TESTS = config_dir() / "rules_test.yml"


def promtool(binary: str, *args: str, cwd: Path | None = None) -> str:
    result = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_shipped_config_and_rules_are_valid(promtool_binary: str) -> None:
    output = promtool(promtool_binary, "check", "config", str(config_dir() / "prometheus.yml"))
    assert "2 rule files found" in output
    promtool(promtool_binary, "check", "rules", *(str(config_dir() / name) for name in RULE_FILES))


def test_derived_config_is_valid(promtool_binary: str, tmp_path: Path) -> None:
    for name in RULE_FILES:
        (tmp_path / name).write_text((config_dir() / name).read_text())
    config = tmp_path / "prometheus.yml"
    config.write_text(derived_config("127.0.0.1:12345", "1s"))
    promtool(promtool_binary, "check", "config", str(config))
    text = config.read_text()
    assert '"127.0.0.1:12345"' in text and "scrape_interval: 1s" in text and "evaluation_interval: 1s" in text


def test_rule_unit_tests_pass(promtool_binary: str) -> None:
    output = promtool(promtool_binary, "test", "rules", RULE_TESTS.name, cwd=config_dir())
    assert "SUCCESS" in output


def alert_cases() -> dict[str, set[str]]:
    """alertname -> {"firing", "quiet"} as exercised by the unit tests' alert_rule_test entries."""
    cases: dict[str, set[str]] = {}
    lines = RULE_TESTS.read_text().splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"\s*alertname: (\w+)\s*$", line)
        if match:
            following = lines[index + 1].strip()
            assert following.startswith("exp_alerts:"), f"line {index + 2}: expected exp_alerts"
            kind = "quiet" if following == "exp_alerts: []" else "firing"
            cases.setdefault(match.group(1), set()).add(kind)
    return cases


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    alerts = re.findall(r"^\s*- alert: (\w+)\s*$", RULES.read_text(), re.MULTILINE)
    assert len(alerts) == 12
    cases = alert_cases()
    assert set(cases) == set(alerts)
    for alert in alerts:
        assert cases[alert] == {"firing", "quiet"}, alert


def test_alerts_come_in_warning_and_critical_tiers() -> None:
    severities = re.findall(r"severity: (\w+)", RULES.read_text())
    assert severities.count("warning") == severities.count("critical") == 6
