"""The steps of stage 1 (REQUIREMENTS §5), by the code their user tasks carry in the diagrams."""
from __future__ import annotations

STEPS: tuple[tuple[str, str], ...] = (
    ("1.1", "Принять претензию в работу"),
    ("1.2", "Первый контакт с клиентом"),
    ("1.3", "Выработать коррекцию и согласовать с клиентом"),
    ("1.4", "Внедрить коррекцию"),
    ("1.5", "Проверить работоспособность решения"),
    ("1.6", "Передать претензию на закрытие"),
)
