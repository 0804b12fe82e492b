"""Engine messages (English, as the API returns them) in the language of the page."""
from __future__ import annotations

import re

from flask_babel import get_locale

RUSSIAN: list[tuple[re.Pattern[str], str]] = [(re.compile(p), r) for p, r in [
    (r"^This field is required\.$", "Обязательное поле."),
    (r"^This field is not part of the form\.$", "Такого поля нет в форме."),
    (r"^Must be of type (\w+)\.$", "Неверный тип значения."),
    (r"^Must be one of: (.*)\.$", r"Выберите одно из значений: \1."),
    (r"^Must not be empty\.$", "Поле не должно быть пустым."),
    (r"^Not a valid date-time.*$", "Укажите дату и время."),
    (r"^Not a valid date\.$", "Укажите дату."),
    (r"^The date cannot be in the past\.$", "Дата не может быть в прошлом."),
    (r"^Unknown time zone: (.*); e\.g\. (.*)\.$", r"Неизвестный часовой пояс: \1; например, \2."),
    (r"^Not a date: (.*); give it as YYYY-MM-DD\.$", r"Не дата: \1; укажите в виде ГГГГ-ММ-ДД."),
    (r"^(\S+) is listed twice\.$", r"\1 указан дважды."),
    (r"^Corrective tasks not done: (.*)\. Give the reason to close stage 2 anyway\.$",
     r"Не выполнены корректирующие задачи: \1. Укажите, почему этап всё же закрывается."),
    (r"^Unknown value in departments: (.*)\.$", r"Неизвестное подразделение: \1."),
    (r"^Unknown department: (.*)\.$", r"Неизвестное подразделение: \1."),
    (r"^An INN has 10 digits.*$", "ИНН состоит из 10 цифр (организация) или 12 цифр (физическое лицо, ИП)."),
    (r"^The INN check digits do not match.*$", "Контрольные цифры ИНН не сходятся: проверьте номер."),
    (r"^An appeal cannot be received in the future\.$", "Обращение не может поступить в будущем."),
    (r"^Write your message\.$", "Напишите сообщение."),
    (r"^Consent to the processing of personal data is required when.*$",
     "Нужно согласие на обработку персональных данных, если вы оставляете имя или контакт."),
    (r"^Consent to the processing of personal data is required\.$",
     "Нужно согласие на обработку персональных данных."),
    (r"^Acceptance of the user agreement is required\.$", "Нужно принять пользовательское соглашение."),
    (r"^Not a valid e-mail address\.$", "Неверный адрес электронной почты."),
    (r"^(.*): files of type (\S+) are not accepted; allowed: (.*)\.$", r"\1: файлы \2 не принимаются; можно: \3."),
    (r"^(.*): larger than (\d+) MB\.$", r"\1: файл больше \2 МБ."),
    (r"^No employee (.*)\.$", r"Нет сотрудника \1."),
    (r"^Rate from 1 to 5\.$", "Поставьте оценку от 1 до 5."),
    (r"^Give a whole number from 0 to 100\.$", "Целое число от 0 до 100."),
    (r"^At least one weight must be above zero\.$", "Хотя бы один вес должен быть больше нуля."),
    (r"^Contains control characters or invalid characters\.$", "Содержит управляющие или недопустимые символы."),
    (r"^Longer than (\d+) characters\.$", r"Не длиннее \1 знаков."),
    (r"^The number is out of range\.$", "Число вне допустимого диапазона."),
    (r"^Give a date between (\d+) and (\d+)\.$", r"Укажите дату между \1 и \2 годом."),
    (r"^(.*): the content is not a (\S+) file\.$", r"\1: содержимое файла не соответствует типу \2."),
    (r"^A phone number has at least (\d+) digits\.$", r"В номере телефона не меньше \1 цифр."),
    (r"^A personal INN has 12 digits.*$",
     "ИНН физического лица — 12 цифр; ИНН организации не относится к персональным данным."),
    (r"^Give a phone, an e-mail or a personal INN\.$", "Укажите телефон, e-mail или ИНН физического лица."),
    (r"^Too many submissions from this address.*$",
     "Слишком много отправок с этого адреса; попробуйте через несколько минут."),
]]


def localized(message: str) -> str:
    if str(get_locale()) != "ru":
        return message
    for pattern, replacement in RUSSIAN:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def localized_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [localized(m) for m in messages] for name, messages in fields.items()}
