"""Demo data: the responsibles table of REQUIREMENTS §7, a user for every role, sample complaints."""
from __future__ import annotations

from sqlalchemy import select

from engine import Actor, AppealInput, ProcessEngine
from engine.people.directory import ResponsibleSpec
from models import Complaint, User, db

DEMO_PASSWORD = "demo"

RESPONSIBLES = [
    ResponsibleSpec("ОдиП", "Отдел дистрибуции и продаж", "Менеджер", "Иткин В."),
    ResponsibleSpec("ООбрП/УЦ", "Отдел образовательных программ, УЦ «1С»", "Руководитель УЦ «1С»", "Шашерина М."),
    ResponsibleSpec("ДКС", "Департамент клиентского сервиса", "Администратор ИТС", "Бадыштова К.", "responsible"),
    ResponsibleSpec("ОВ и ОП ДПВК", "ОВ и ОП ДПВК", "Ответственный за жалобы ОВ", None),
    ResponsibleSpec("ЛК ДПВК", "ЛК ДПВК", "Бухгалтер-консультант", "Волохова Д."),
    ResponsibleSpec("ОПР", "Отдел продаж", "Старший менеджер", "Агибалова А."),
    ResponsibleSpec("ОК", "Отдел кадров", "Заместитель руководителя по административной работе", "Тимофеева Л."),
    ResponsibleSpec("ПО/Дистрибуция", "ПО / Дистрибуция", "Руководитель", "Подгорный Д."),
    ResponsibleSpec("ОКР", "ОКР", "Заместитель руководителя по административной работе", "Тараненко Е."),
    ResponsibleSpec("ОМиР", "Отдел маркетинга и рекламы", "Менеджер", "Кравченко Д."),
    ResponsibleSpec("СМК", "Служба менеджмента качества", "Руководитель СМК", "Матвеева А.", "qms"),
    ResponsibleSpec("СКПК", "Служба коммуникаций", "И. о. руководителя по коммуникациям", "Бордух Е."),
]

USERS = [
    ("operator", "Гордюкова Наталья (оператор)", ["operator"], []),
    ("responsible", "Бадыштова Кристина", ["responsible", "operator"], ["ДКС"]),
    ("qms", "Матвеева Анна", ["qms", "operator"], ["СМК"]),
    ("owner", "Владелец процесса", ["owner", "qms"], ["СМК"]),
    ("executive", "Генеральный директор", ["executive"], []),
    ("admin", "Администратор", ["admin"], []),
    ("head_dks", "Кузнецов Олег (руководитель ДКС)", ["responsible"], ["ДКС"]),
    ("head_opr", "Сергеева Ирина (руководитель отдела продаж)", ["responsible"], ["ОПР"]),
]

# Breach notices go to the head of the complaint's department (`head:CODE`), so every demo head has an
# address to receive them; a real install names its own with `complaint-desk set-department-head`.
HEADS = {"ДКС": "head_dks", "ОПР": "head_opr", "СМК": "qms"}
EMAILS = {"head_dks": "dks-head@company.example", "head_opr": "sales-head@company.example",
          "qms": "smk-head@company.example", "responsible": "dks@company.example"}

SAMPLES = [
    AppealInput(type="complaint", channel="phone", subject="Долго загружается программа",
                text="У клиента очень долго загружается программа, жалуется, что уже обращался с этим вопросом.",
                counterparty_name="Союз молодежи и добровольцев Дона РРМОО", inn="6165456519",
                contact_name="Лоськова Галина Николаевна", contact_phone="(951) 511-35-23",
                department="ДКС", importance="normal", software="БП базовая, НКО ПРОФ"),
    AppealInput(type="complaint", channel="email", subject="Не перезвонили, как обещали",
                text="Сотрудник обещал перезвонить и не сделал этого.", counterparty_name="ООО «Ромашка»",
                inn="7707083893", contact_name="Петров Иван", department="ДКС", importance="high"),
]


def seed_directory(engine: ProcessEngine) -> list[str]:
    """Departments with their responsibles (REQUIREMENTS §7), one demo user per role, department heads."""
    created: list[str] = []
    if db.session.scalar(select(User.id).where(User.login == "admin")) is None:
        engine.upsert_responsibles(RESPONSIBLES, "СМК")
        for login, name, roles, departments in USERS:
            engine.create_user(login, name, DEMO_PASSWORD, roles, departments, EMAILS.get(login))
            created.append(f"user {login} / {DEMO_PASSWORD} ({', '.join(roles)})")
        engine.upsert_responsibles([r for r in RESPONSIBLES if r.login], "СМК")
        for code, login in HEADS.items():
            engine.set_department_head(code, login, Actor.system())
            created.append(f"head of {code}: {login}")
    return created


def seed(engine: ProcessEngine) -> list[str]:
    """Load the demo data once; returns what it created, for the console."""
    created = seed_directory(engine)
    engine.deploy_processes(Actor.system())
    if db.session.scalar(select(Complaint.id).limit(1)) is None:
        for sample in SAMPLES:
            _appeal, complaint = engine.register_appeal(sample, Actor("Гордюкова Наталья (оператор)"))
            created.append(f"complaint {complaint.number if complaint else '?'}")
    return created
