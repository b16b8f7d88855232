"""Plausible Kazakh and Russian customer names, e-mails and phone numbers."""

from __future__ import annotations

import numpy as np

MALE = ["Айдар", "Арман", "Ерлан", "Нурлан", "Данияр", "Тимур", "Азамат", "Бауыржан", "Ринат", "Алихан",
        "Дмитрий", "Алексей", "Иван", "Максим", "Артём", "Никита", "Санжар", "Асхат", "Мирас", "Ержан"]
FEMALE = ["Айгерим", "Дана", "Алия", "Жанар", "Асель", "Мадина", "Камила", "Анна", "Мария", "Елена",
          "Дарья", "Сабина", "Томирис", "Аружан", "Дильназ", "Ольга"]
SURNAMES = ["Ахметов", "Сериков", "Жумабаев", "Касымов", "Нурланов", "Абдуллаев", "Оспанов", "Искаков",
            "Иванов", "Петров", "Смирнов", "Ким", "Тулеубаев", "Бекмуханов", "Сейткали", "Мухамедов",
            "Кузнецов", "Есенов", "Утебаев", "Байжанов", "Алиев", "Попов", "Садыков", "Ермеков"]
DOMAINS = ["mail.kz", "gmail.com", "mail.ru", "yandex.kz", "inbox.kz"]

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya", "a", "g", "k", "n", "o", "u",
     "u", "h", "i"],
))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def _female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    return surname


def make_people(n: int, rng: np.random.Generator) -> tuple[list[str], list[str], list[str]]:
    """Full names, unique e-mails and phones for n customers."""
    female = rng.random(n) < 0.35
    first_m = rng.integers(0, len(MALE), n)
    first_f = rng.integers(0, len(FEMALE), n)
    last = rng.integers(0, len(SURNAMES), n)
    domain = rng.integers(0, len(DOMAINS), n)
    phone = rng.integers(700_000_0000, 779_999_9999, n)
    names, emails, phones = [], [], []
    for i in range(n):
        first = FEMALE[first_f[i]] if female[i] else MALE[first_m[i]]
        surname = SURNAMES[last[i]]
        surname = _female_surname(surname) if female[i] else surname
        names.append(f"{first} {surname}")
        emails.append(f"{translit(first)}.{translit(surname)}{i + 1}@{DOMAINS[domain[i]]}")
        p = str(phone[i])
        phones.append(f"+7 {p[:3]} {p[3:6]} {p[6:8]} {p[8:]}")
    return names, emails, phones
