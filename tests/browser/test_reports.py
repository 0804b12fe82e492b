"""QMS control in a real browser: the weekly review, the monthly report whose charts draw the data, the KPIs."""
from __future__ import annotations

from typing import Any

from engine import ProcessEngine
from tests.browser.conftest import shot, sign_in
from tests.reports import october

# Each canvas must show more than a blank background once Chart.js has drawn on it.
PAINTED = """(id) => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted += 1; } }
  return painted;
}"""
DATASETS = "(id) => Chart.getChart(document.getElementById(id)).data.datasets.map(d => [d.label, d.data])"


def test_the_monthly_report_draws_its_charts_with_the_months_data(page: Any, live_server: str,
                                                                   engine: ProcessEngine) -> None:
    october.build()
    sign_in(page, live_server, "executive")
    page.click("[data-test=nav-monthly]")
    page.fill("input[name=month]", "2026-10")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("[data-test=month]:has-text('2026-10')")
    assert page.inner_text("[data-figure=loyalty_percent] .value") == "66,7 %"
    assert page.inner_text("[data-figure=satisfaction_percent] .value") == "33,3 %"
    assert "клиент без ответа считается нелояльным" in page.inner_text("[data-figure=loyalty_percent]")
    justification = page.evaluate(DATASETS, "chart-justification")
    assert justification == [["Обоснованная", [0, 2]], ["Частично обоснованная", [0, 1]],
                             ["Необоснованная", [1, 1]], ["Не определена", [0, 1]]]
    assert page.evaluate("(id) => Chart.getChart(document.getElementById(id)).data.labels",
                         "chart-justification") == ["2025", "2026"]
    assert page.evaluate(DATASETS, "chart-loyalty") == [["Лояльность", [100, 50]], ["Удовлетворённость", [100, 25]]]
    trend = page.evaluate(DATASETS, "chart-on-time")[0][1]
    assert len(trend) == 12 and trend[-1] == 60 and trend[4] == 100 and trend[10] is None  # October, March, September
    for chart in ("chart-justification", "chart-loyalty", "chart-on-time"):
        assert page.evaluate(PAINTED, chart) > 500, f"{chart} is blank"
    shot(page, "20-monthly-report")


def test_the_weekly_review_links_each_row_to_its_card(page: Any, live_server: str, engine: ProcessEngine) -> None:
    october.build()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/review/weekly?week=2026-W43")
    assert page.inner_text("[data-test=total-due]") == "2" and page.inner_text("[data-test=total-overdue]") == "1"
    row = page.locator("tr[data-number=P2610010001]")
    assert "просрочка: 1.2, 1.6" in row.inner_text()
    shot(page, "21-weekly-review")
    page.click("[data-test=previous-week]")
    page.wait_for_selector("[data-test=week]:has-text('2026-W42')")
    page.goto(f"{live_server}/review/weekly?week=2026-W43")
    page.click("tr[data-number=P2610010001] a")
    page.wait_for_url("**/complaints/P2610010001")
    assert "АО «Бета»" in page.inner_text("main")


def test_qms_changes_the_kpi_weights_and_the_page_says_them(page: Any, live_server: str,
                                                             engine: ProcessEngine) -> None:
    october.build()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/reports/kpi?month=2026-10")
    assert page.inner_text("tr[data-responsible='Бадыштова К.'] [data-test=score]") == "68,3 %"
    for name in ("on_time", "goal", "loyalty", "volume"):
        page.fill(f"[data-test=weights-form] input[name={name}]", "0")
    page.click("[data-test=weights-form] button[type=submit]")
    assert page.inner_text("[data-error-for=weights]") == "Хотя бы один вес должен быть больше нуля."
    assert page.input_value("[data-test=weights-form] input[name=goal]") == "0"
    page.fill("[data-test=weights-form] input[name=on_time]", "100")
    page.click("[data-test=weights-form] button[type=submit]")
    page.wait_for_selector(".flash")
    assert "вес 100" in page.inner_text("[data-test=weights]")
    assert page.inner_text("tr[data-responsible='Бадыштова К.'] [data-test=score]") == "83,3 %"
    shot(page, "22-kpi")
