"""The monthly report and the KPIs as tables for export, titled in Russian (the language of the e-mail)."""
from __future__ import annotations

from typing import Any

from engine.reports.exports import Table

NAMES = {
    "complaint": "Жалоба", "objection": "Возражение", "request": "Обращение/запрос", "interest": "Интерес",
    "gratitude": "Благодарность", "suggestion": "Предложение", "external": "Внешняя", "internal": "Внутренняя",
    "justified": "Обоснованная", "partly_justified": "Частично обоснованная", "unjustified": "Необоснованная",
    "undetermined": "Не определена", "none": "Без компенсации", "price_reduction": "Снижение цены",
    "apology": "Извинение", "free_product": "Бесплатный продукт или подарок", "discount_coupon": "Купон на скидку",
    "guarantee": "Гарантия принятых мер",
}
SUMMARY = (
    ("received", "Поступило претензий"), ("appeals_received", "Поступило обращений всех типов"),
    ("closed_stage1", "Закрыт этап коррекции"), ("loyalty_percent", "Лояльность, %"),
    ("satisfaction_percent", "Удовлетворённость решением, %"), ("on_time_percent", "Шаги в срок, %"),
    ("closed_within_goal_percent", "Закрыто за 5 рабочих дней (цель), %"),
    ("closed_within_limit_percent", "Закрыто за 14 рабочих дней (норматив), %"),
    ("median_hours_to_close_stage1", "Медиана до закрытия этапа 1, рабочих часов"),
)


def _name(code: Any) -> Any:
    return NAMES.get(code, code)


def _counts(title: str, column: str, counts: dict[str, int]) -> Table:
    return Table(title, [column, "Количество"], [[_name(k), v] for k, v in counts.items()])


def _on_time(title: str, column: str, rows: list[dict[str, Any]]) -> Table:
    return Table(title, [column, "Учтено шагов", "В срок", "В срок, %"],
                 [[r["name"], r["counted"], r["on_time"], r["percent"]] for r in rows])


def monthly_tables(report: dict[str, Any]) -> list[Table]:
    charts = report["charts"]
    tables = [
        Table(f"Сводка {report['month']}", ["Показатель", "Значение"],
              [[title, report[key]] for key, title in SUMMARY]),
        _counts("Обращения по типам", "Тип", report["by_type"]),
        _counts("Претензии по способам", "Способ поступления", report["by_channel"]),
        _counts("Претензии по подразделениям", "Подразделение", report["by_department"]),
        _counts("Внешние и внутренние", "Вид", report["by_kind"]),
        _counts("Обоснованность", "Обоснованность", report["justification"]),
        _on_time("Сроки по шагам", "Шаг", report["on_time_by_step"]),
        _on_time("Сроки по подразделениям", "Подразделение", report["on_time_by_department"]),
        _on_time("Сроки по ответственным", "Ответственный", report["on_time_by_responsible"]),
        Table("Медиана по шагам", ["Шаг", "Медиана, рабочих часов"],
              [[k, v] for k, v in report["median_hours_by_step"].items()]),
        Table("Повторные претензии", ["Контрагент", "ИНН", "За месяц", "За 12 месяцев"],
              [[r["counterparty"], r["inn"], r["this_month"], r["last_12_months"]]
               for r in report["repeat_counterparties"]]),
        _counts("Компенсации", "Компенсация", report["compensations"]),
    ]
    for field, title in (("department", "подразделения"), ("process", "процессы"), ("product", "продукты")):
        tables.append(Table(f"Несоответствия — {title}", ["Значение", "Количество", "Накопленный %"],
                            [[r["name"], r["count"], r["cumulative_percent"]]
                             for r in report["nonconformities"][field]]))
    tables += [
        Table("Обоснованность по годам", ["Год", *(NAMES[k] for k in
                                                   ("justified", "partly_justified", "unjustified", "undetermined"))],
              [[r["year"], r["justified"], r["partly_justified"], r["unjustified"], r["undetermined"]]
               for r in charts["justification_by_year"]]),
        Table("Лояльность по годам", ["Год", "Закрыто", "Лояльны", "Лояльность, %", "Удовлетворённость, %"],
              [[r["year"], r["closed"], r["loyal"], r["loyalty_percent"], r["satisfaction_percent"]]
               for r in charts["loyalty_by_year"]]),
        Table("Сроки по месяцам", ["Месяц", "Учтено шагов", "В срок", "В срок, %"],
              [[r["month"], r["counted"], r["on_time"], r["percent"]] for r in charts["on_time_by_month"]]),
    ]
    return tables


def kpi_tables(data: dict[str, Any]) -> list[Table]:
    steps = ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6")
    columns = ["Ответственный", "Подразделение", "Оценка", "Отработано претензий", "Шаги в срок, %",
               *(f"Шаг {s} в срок, %" for s in steps), "Медиана до закрытия, рабочих часов",
               "Закрыто за 5 дней, %", "Лояльность, %", "Объём, % от лучшего"]
    rows = [[r["responsible"], r["department"], r["score"], r["handled"], r["on_time_percent"],
             *(r["on_time_by_step"][s] for s in steps), r["median_hours_to_close"],
             r["closed_within_goal_percent"], r["loyalty_percent"], r["volume_percent"]]
            for r in data["responsibles"]]
    weights = data["weights"]
    return [Table(f"KPI {data['month']}", columns, rows),
            Table("Веса", ["Показатель", "Вес"], [[k, v] for k, v in weights.items()])]
