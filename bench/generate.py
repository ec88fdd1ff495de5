"""A deterministic synthetic corpus at whole-UN scale, written straight into a migrated SQLite file.

    .venv/bin/python bench/generate.py --scale 1     # 20,000 documents, 240,000 citations
    .venv/bin/python bench/generate.py --scale 10    # 200,000 documents, 2,400,000 citations
    .venv/bin/python bench/generate.py --scale 1 --database-url postgresql://…   # the same, in PostgreSQL

The file is bench/out/lineage-<scale>.db, created by `lineage migrate` (the schema is Lineage's
own), then filled with executemany in big transactions: going through `ingest` would take hours.
Same seed, same scale -> the same rows, byte for byte (timestamps are fixed too).

What is in it (per scale unit; everything is multiplied by --scale):
  * 2,800 old-style GA resolutions A/RES/{n}({roman}) (sessions I-XXX, 1946-1975),
    10,400 new-style A/RES/{s}/{n} (sessions 31-80), 2,700 S/RES/{n}({year}),
    3,800 drafts A/{s}/L.{n} (sessions 41-80), 300 letters (half with an A/{s}/{n} symbol,
    half known by a key only); dates consistent with sessions, numbers in date order.
  * 200 organizations, each with an observer-status resolution, a series of "联合国同…的合作"
    resolutions every 1-3 sessions, drafts that became them, and a letter asking for the item.
  * Older documents more often have no text (known only by what cites them; date from citations).
  * Chinese bodies in UN style (大会，回顾其…年…月…日第…号决议，…); every citation is a real span
    of its document's text (raw, start, end, paragraph, paragraph_index, position).
  * Cited-by counts are heavy-tailed: a few "famous" resolutions are cited thousands of times.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

BASE = {"ga_old": 2800, "ga_new": 10400, "sc": 2700, "draft": 3800, "letter": 300}
BASE_CITATIONS = 240_000
BASE_ORGS = 200
STAMP = "2026-01-01 00:00:00.000000"

# --- vocabulary ---------------------------------------------------------------------------------

TOPICS = [
    ("可持续发展", "Sustainable development"), ("气候变化", "Climate change"),
    ("维持和平行动", "Peacekeeping operations"), ("巴勒斯坦问题", "Question of Palestine"),
    ("全面彻底裁军", "General and complete disarmament"), ("核武器不扩散", "Non-proliferation of nuclear weapons"),
    ("难民问题", "Refugees"), ("妇女地位", "Status of women"), ("儿童权利", "Rights of the child"),
    ("消除恐怖主义", "Measures to eliminate terrorism"), ("海洋法", "Law of the sea"),
    ("粮食安全", "Food security"), ("非洲发展新伙伴关系", "New Partnership for Africa's Development"),
    ("国际法委员会", "International Law Commission"), ("和平利用外层空间", "Peaceful uses of outer space"),
    ("麻醉药品管制", "Narcotic drugs control"), ("艾滋病毒/艾滋病", "HIV/AIDS"),
    ("人道主义援助", "Humanitarian assistance"), ("土著人民权利", "Rights of indigenous peoples"),
    ("荒漠化", "Desertification"), ("小岛屿发展中国家", "Small island developing States"),
    ("最不发达国家", "Least developed countries"), ("国际贸易与发展", "International trade and development"),
    ("外债可持续性", "External debt sustainability"), ("信息和通信技术", "Information and communications technologies"),
    ("预防犯罪和刑事司法", "Crime prevention and criminal justice"), ("人权与赤贫", "Human rights and extreme poverty"),
    ("种族主义和种族歧视", "Racism and racial discrimination"), ("减少灾害风险", "Disaster risk reduction"),
    ("生物多样性", "Biological diversity"), ("联合国预算", "Programme budget of the United Nations"),
    ("安全理事会改革", "Reform of the Security Council"), ("地雷行动", "Assistance in mine action"),
    ("小武器和轻武器", "Small arms and light weapons"), ("非殖民化", "Decolonization"),
    ("移徙与发展", "International migration and development"), ("老龄问题", "Ageing"),
    ("青年政策", "Policies and programmes involving youth"), ("文化与发展", "Culture and development"),
    ("南南合作", "South-South cooperation"),
]
SC_TOPICS = [
    "索马里局势", "苏丹局势", "刚果民主共和国局势", "阿富汗局势", "伊拉克局势", "塞浦路斯问题",
    "中东局势", "利比亚局势", "马里局势", "中非共和国局势", "南苏丹局势", "也门局势",
    "海地问题", "科索沃问题", "不扩散核武器", "国际恐怖主义行为对国际和平与安全的威胁",
    "妇女与和平与安全", "儿童与武装冲突", "武装冲突中保护平民", "西撒哈拉局势",
]
FILLER_PRE = [
    "深信{t}对于维护国际和平与安全和促进经济及社会发展至关重要，",
    "认识到{t}方面仍然存在严重挑战，需要国际社会作出持续努力，",
    "强调必须加强联合国系统在{t}领域的协调与一致性，",
    "关切地注意到{t}方面的进展仍不平衡，发展中国家尤其面临困难，",
    "确认各国对{t}负有首要责任，国际合作发挥着重要的补充作用，",
    "意识到区域和次区域组织在{t}方面可以发挥的作用，",
    "赞赏地注意到秘书长关于{t}的报告及其中所载的建议，",
]
FILLER_OP = [
    "注意到秘书长关于{t}的报告；",
    "吁请所有会员国继续支持{t}方面的努力，并酌情提供必要资源；",
    "请秘书长在现有资源范围内继续开展{t}方面的工作；",
    "鼓励联合国各专门机构、基金和方案在各自任务范围内加强{t}方面的合作；",
    "邀请各国政府、区域组织和民间社会为{t}作出贡献；",
]
CLOSING = "决定将题为“{title}”的项目列入大会第{s}届会议临时议程。"
SC_CLOSING = "决定继续积极处理此案。"
CN_NUM = "一二三四五六七八九"

REGIONS = [
    ("亚洲", "Asian"), ("非洲", "African"), ("加勒比", "Caribbean"), ("太平洋", "Pacific"),
    ("阿拉伯", "Arab"), ("拉丁美洲", "Latin American"), ("中亚", "Central Asian"),
    ("东南亚", "South-East Asian"), ("黑海", "Black Sea"), ("地中海", "Mediterranean"),
    ("印度洋", "Indian Ocean"), ("波罗的海", "Baltic"), ("南部非洲", "Southern African"),
    ("西非", "West African"), ("东非", "East African"), ("中美洲", "Central American"),
    ("安第斯", "Andean"), ("北欧", "Nordic"), ("欧亚", "Eurasian"), ("伊斯兰", "Islamic"),
    ("葡语国家", "Lusophone"), ("法语国家", "Francophone"), ("萨赫勒", "Sahel"), ("湄公河", "Mekong"),
    ("多瑙河", "Danube"), ("亚马孙", "Amazon"), ("北极", "Arctic"), ("南太平洋", "South Pacific"),
    ("大湖区", "Great Lakes"), ("阿拉伯马格里布", "Arab Maghreb"),
]
TYPES = [
    ("经济合作组织", "Economic Cooperation Organization"), ("开发银行", "Development Bank"),
    ("议会联盟", "Parliamentary Union"), ("发展共同体", "Development Community"),
    ("安全合作组织", "Security Cooperation Organization"), ("国家联盟", "Union of States"),
    ("论坛", "Forum"), ("委员会", "Commission"), ("协会", "Association"), ("联合会", "Federation"),
    ("研究所", "Institute"), ("基金", "Fund"), ("中心", "Centre"), ("条约组织", "Treaty Organization"),
    ("经济共同体", "Economic Community"), ("法律协商组织", "Legal Consultative Organization"),
    ("海洋组织", "Maritime Organization"), ("卫生组织", "Health Organization"),
]
PREFIXES = [("", ""), ("国际", "International "), ("政府间", "Intergovernmental "), ("区域", "Regional ")]

VERBS = {  # verb_class -> the first, second, third use in a text
    "recall": ("回顾", "又回顾", "还回顾"),
    "refer": ("提及", "又提及", "还提及"),
}
OTHER_VERBS = [("重申", "reaffirm"), ("注意到", "note"), ("欢迎", "welcome"), ("铭记", "bear_in_mind")]

ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def roman(n: int) -> str:
    return "X" * (n // 10) + ROMAN[n % 10]


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def zh_session(s: int) -> str:
    """第六十四届 style numerals for 1-99."""
    tens, ones = divmod(s, 10)
    t = ("" if tens == 0 else ("十" if tens == 1 else CN_NUM[tens - 1] + "十"))
    return t + (CN_NUM[ones - 1] if ones else "")


# SC resolution number -> year, anchors from the real series (S/RES/1631 is 2005).
SC_ANCHORS = [(1, 1946), (100, 1953), (200, 1964), (300, 1971), (400, 1976), (500, 1982), (600, 1987),
              (700, 1991), (800, 1993), (900, 1994), (1000, 1995), (1200, 1998), (1300, 2000),
              (1400, 2002), (1500, 2003), (1600, 2005), (1700, 2006), (1800, 2008), (1900, 2009),
              (2000, 2011), (2100, 2013), (2200, 2015), (2300, 2016), (2400, 2018), (2500, 2019),
              (2600, 2021), (2700, 2023), (2800, 2025)]


def sc_year(n_real: float) -> float:
    for (n0, y0), (n1, y1) in zip(SC_ANCHORS, SC_ANCHORS[1:]):
        if n_real <= n1:
            return y0 + (y1 - y0) * (n_real - n0) / (n1 - n0)
    return 2025.0


@dataclass
class Doc:
    kind: str
    symbol: str | None
    key: str
    session: int | None
    date: dt.date | None
    family: str  # "ga" | "sc" | "draft" | "letter"
    topic: int = 0
    has_text: bool = True
    org: int | None = None  # organization index when the document is one of its texts
    series_of: int | None = None  # organization index when the document belongs to its series
    role: str = ""  # "observer" | "series" | "draft" | "letter" | ""
    title: str | None = None
    became: int | None = None  # index into docs
    id: int = 0
    k: int = 0  # how many ordinary (non-series) citations its text carries
    series_cites: list[int] = field(default_factory=list)  # earlier series resolutions it recalls
    observer_cite: int | None = None


@dataclass
class Org:
    acronym: str
    name_zh: str
    name_en: str
    titles: list[str]
    observer: int = -1
    series: list[int] = field(default_factory=list)


def spread(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that add up to total exactly (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def session_dates(rng: random.Random, year: int, n: int) -> list[dt.date]:
    """n adoption dates for a GA session opening in September of `year`, in order."""
    out = []
    for _ in range(n):
        if rng.random() < 0.85:
            d = dt.date(year, 9, 15) + dt.timedelta(days=rng.randrange(100))  # to Dec 23
        else:
            d = dt.date(year + 1, 1, 10) + dt.timedelta(days=rng.randrange(240))
        out.append(d)
    return sorted(out)


# --- the plan: which documents, organizations and series --------------------------------------


def _ref_date(d: Doc) -> dt.date:
    """Where a document stands in time (as app.calendar.sort_date): its date, else its session."""
    return d.date or dt.date(1945 + (d.session or 0), 9, 1)


def plan(scale: float, seed: int) -> tuple[list[Doc], list[Org]]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    ntopics = len(TOPICS)

    # Old-style GA resolutions, numbered across sessions I-XXX.
    old = spread(round(BASE["ga_old"] * scale), [40 + 4 * s + rng.randint(-10, 10) for s in range(1, 31)])
    n = 0
    for s, count in zip(range(1, 31), old):
        for d in session_dates(rng, 1945 + s, count):
            n += 1
            sym = f"A/RES/{n}({roman(s)})"
            docs.append(Doc("ga_resolution", sym, sym, s, d, "ga", rng.randrange(ntopics)))
    # New-style GA resolutions, numbered per session in date order.
    ga_slots: dict[int, list[int]] = {}
    new = spread(round(BASE["ga_new"] * scale), [180 + 3 * (s - 31) + rng.randint(-25, 25) for s in range(31, 81)])
    for s, count in zip(range(31, 81), new):
        ga_slots[s] = []
        for i, d in enumerate(session_dates(rng, 1945 + s, count), start=1):
            sym = f"A/RES/{s}/{i}"
            ga_slots[s].append(len(docs))
            docs.append(Doc("ga_resolution", sym, sym, s, d, "ga", rng.randrange(ntopics)))
    # Security Council resolutions: S/RES/1(1946) ... in number order.
    for i in range(1, round(BASE["sc"] * scale) + 1):
        y = sc_year(i / scale)
        year = int(y)
        d = dt.date(year, 1, 1) + dt.timedelta(days=int((y - year) * 364))
        sym = f"S/RES/{i}({year})"
        docs.append(Doc("sc_resolution", sym, sym, None, d, "sc", rng.randrange(len(SC_TOPICS))))
    # Drafts A/{s}/L.{n}, sessions 41-80.
    draft_slots: dict[int, list[int]] = {}
    drafts = spread(round(BASE["draft"] * scale), [60 + (s - 41) + rng.randint(-10, 10) for s in range(41, 81)])
    for s, count in zip(range(41, 81), drafts):
        draft_slots[s] = []
        for i, d in enumerate(session_dates(rng, 1945 + s, count), start=1):
            sym = f"A/{s}/L.{i}"
            draft_slots[s].append(len(docs))
            docs.append(Doc("draft_resolution", sym, sym, s, d - dt.timedelta(days=rng.randint(5, 30)),
                            "draft", rng.randrange(ntopics)))
    # Letters: half with a symbol A/{s}/{n}, half known by a key only (as the seed's letters).
    letter_slots: dict[int, list[int]] = {s: [] for s in range(41, 81)}
    letter_no: dict[int, int] = {}
    for i in range(round(BASE["letter"] * scale)):
        s = rng.randint(41, 80)
        d = dt.date(1945 + s, 1, 1) + dt.timedelta(days=rng.randrange(360))
        if i % 2 == 0:
            letter_no[s] = letter_no.get(s, 99) + 1
            sym = key = f"A/{s}/{letter_no[s]}"
        else:
            sym, key = None, f"bench-letter-{s}-{i:06d}"
        letter_slots[s].append(len(docs))
        docs.append(Doc("letter", sym, key, s, d, "letter", rng.randrange(ntopics)))

    # Organizations and their series.
    names = [(p[0] + r[0] + t[0], p[1] + r[1] + " " + t[1]) for p in PREFIXES for r in REGIONS for t in TYPES]
    rng.shuffle(names)
    orgs: list[Org] = []
    used_acr: set[str] = set()
    pools = []
    for slots in (ga_slots, draft_slots, letter_slots):
        pool = {s: list(v) for s, v in slots.items()}
        for v in pool.values():
            rng.shuffle(v)
        pools.append(pool)
    free_ga, free_draft, free_letter = pools

    def take(pool: dict[int, list[int]], s: int) -> int | None:
        return pool[s].pop() if pool.get(s) else None

    for o in range(max(1, round(BASE_ORGS * scale))):
        name_zh, name_en = names[o % len(names)]
        if o >= len(names):
            name_zh, name_en = f"{name_zh}（第{o // len(names) + 1}）", f"{name_en} {o // len(names) + 1}"
        base_acr = "".join(w[0] for w in name_en.replace("-", " ").split() if w[0].isupper())[:10]
        acr, k = base_acr, 1
        while acr in used_acr:
            k += 1
            acr = f"{base_acr}{k}"
        s0 = rng.randint(31, 76)
        obs = take(free_ga, s0)
        if obs is None:
            continue
        used_acr.add(acr)
        oi = len(orgs)
        titles = [f"联合国同{name_zh}的合作"]
        if rng.random() < 0.2:
            titles.append(f"联合国与{name_zh}的合作")
        org = Org(acr, name_zh, name_en, titles, observer=obs)
        d = docs[obs]
        d.title, d.role, d.series_of = f"给予{name_zh}大会观察员地位", "observer", oi
        d.has_text = rng.random() < 0.5
        period = rng.choices([1, 2, 3], weights=[15, 60, 25])[0]
        end = min(80, s0 + rng.randint(8, 40))
        lettered = False
        for s in range(s0 + period, end + 1, period):
            res = take(free_ga, s)
            if res is None:
                continue
            r = docs[res]
            r.title, r.role, r.series_of = titles[0], "series", oi
            r.has_text = rng.random() < 0.6
            if r.has_text:
                r.org = oi
            org.series.append(res)
            if s >= 41 and rng.random() < 0.5:
                dr = take(free_draft, s)
                if dr is not None:
                    x = docs[dr]
                    x.title, x.role, x.series_of, x.org, x.became = titles[0], "draft", oi, oi, res
                    x.date = None if rng.random() < 0.05 else r.date - dt.timedelta(days=rng.randint(7, 40))
            if not lettered and s >= 41:
                le = take(free_letter, s)
                if le is not None:
                    lettered = True
                    x = docs[le]
                    x.title, x.role, x.series_of, x.org = titles[0], "letter", oi, oi
        orgs.append(org)

    # Which documents have a text: older ones more often are known only by what cites them.
    for d in docs:
        if d.role:
            if d.role in ("draft", "letter"):
                d.has_text = True
            continue
        if d.family == "ga":
            s = d.session or 0
            p = 0.2 if s <= 20 else 0.5 if s <= 40 else 0.8 if s <= 60 else 0.95
            d.title = TOPICS[d.topic][0] + ("" if rng.random() < 0.6 else "问题")
        elif d.family == "sc":
            p = 0.3 if d.date.year < 1990 else 0.9
            d.title = SC_TOPICS[d.topic]
        elif d.family == "draft":
            p = 0.92
            d.title = TOPICS[d.topic][0]
        else:
            p = 1.0
            d.title = f"常驻联合国代表给秘书长的信：{TOPICS[d.topic][0]}"
        d.has_text = rng.random() < p
    # Other drafts became a resolution of their session, where one is left.
    for s, slots in draft_slots.items():
        plain = [i for i in ga_slots.get(s, []) if not docs[i].role]
        for i in slots:
            if docs[i].became is None and plain and rng.random() < 0.6:
                docs[i].became = rng.choice(plain)

    # Chronological ids, as a crawl in date order would give.
    order = sorted(range(len(docs)), key=lambda i: (_ref_date(docs[i]), docs[i].key))
    for new_id, i in enumerate(order, start=1):
        docs[i].id = new_id

    # Series citations: a series text recalls the earlier resolutions of its series (the last 8)
    # in one paragraph that names the series, and the observer-status resolution apart.
    for org in orgs:
        members = sorted(org.series, key=lambda i: _ref_date(docs[i]))
        for j, res in enumerate(members):
            if docs[res].has_text:
                docs[res].series_cites = members[max(0, j - 8):j]
                docs[res].observer_cite = org.observer
    by_org: dict[int, list[int]] = {}
    for i, d in enumerate(docs):
        if d.role in ("draft", "letter"):
            by_org.setdefault(d.series_of, []).append(i)
    for oi, idxs in by_org.items():
        org = orgs[oi]
        members = sorted(org.series, key=lambda i: _ref_date(docs[i]))
        for i in idxs:
            ref = _ref_date(docs[i])
            earlier = [m for m in members if _ref_date(docs[m]) < ref]
            docs[i].series_cites = earlier[-8:]
            docs[i].observer_cite = org.observer

    # How many ordinary citations each text carries; the total is exact.
    series_total = sum(len(d.series_cites) + (d.observer_cite is not None) for d in docs)
    weight = {"ga": 16.0, "sc": 12.0, "draft": 14.0, "letter": 2.0}
    texts = [i for i in order if docs[i].has_text]
    ws = []
    for i in texts:
        d = docs[i]
        w = weight[d.family] * (0.35 if d.family == "ga" and (d.session or 0) <= 30 else 1.0)
        ws.append(w * rng.uniform(0.4, 1.6))
    for i, k in zip(texts, spread(round(BASE_CITATIONS * scale) - series_total, ws)):
        docs[i].k = k
    return docs, orgs


# --- texts and citations -------------------------------------------------------------------------


def short(sym: str) -> str:
    if sym.startswith("A/RES/"):
        return sym[6:]
    if sym.startswith("S/RES/"):
        return sym[6:]
    return sym


class Corpus:
    """Picks what a text cites and writes the text around the citations."""

    def __init__(self, docs: list[Doc], orgs: list[Org], scale: float, seed: int, filler: tuple[int, int]):
        self.docs, self.orgs = docs, orgs
        self.rng = random.Random(seed + 1)
        self.filler = filler
        self.debt = 0  # citations an early text could not make (nothing earlier): made by later ones
        self.fam: dict[str, tuple[list[int], list[int]]] = {}
        for fam in ("ga", "sc"):
            idx = sorted((i for i, d in enumerate(docs) if d.family == fam), key=lambda i: docs[i].id)
            self.fam[fam] = ([_ref_date(docs[i]).toordinal() for i in idx], idx)
        # "Famous" resolutions: cited far more than the rest (heavy-tailed cited-by counts).
        candidates = [i for i, d in enumerate(docs) if d.family in ("ga", "sc") and d.date and d.date.year < 2000]
        self.famous = self.rng.sample(candidates, min(len(candidates), max(1, round(150 * scale))))
        cum, acc = [], 0.0
        for r in range(len(self.famous)):
            acc += (r + 5) ** -1.1
            cum.append(acc)
        self.famous_cum = cum

    def _earlier(self, fam: str, before: int, after: int = 0) -> int | None:
        dates, idx = self.fam[fam]
        hi = bisect.bisect_left(dates, before)
        lo = bisect.bisect_left(dates, after) if after else 0
        if hi <= lo:
            return None
        return idx[self.rng.randrange(lo, hi)]

    def pick(self, d: Doc) -> int | None:
        ref = _ref_date(d).toordinal()
        fam = "sc" if d.family == "sc" else "ga"
        other = "ga" if fam == "sc" else "sc"
        r = self.rng.random()
        if r < 0.12:
            for _ in range(4):
                c = self.rng.choices(self.famous, cum_weights=self.famous_cum)[0]
                if _ref_date(self.docs[c]).toordinal() < ref:
                    return c
        if r < 0.67:
            c = self._earlier(fam, ref, ref - 6 * 365)
        elif r < 0.87:
            c = self._earlier(fam, ref)
        else:
            c = self._earlier(other, ref)
        if c is None:
            c = self._earlier(fam, ref)
        return c if c is not None else self._earlier(other, ref)

    def subject(self, citing: Doc, cited: Doc) -> str:
        if cited.family == "sc":
            return "其" if citing.family == "sc" else "安全理事会"
        return "大会" if citing.family == "sc" else "其"

    def build(self, d: Doc) -> tuple[str, list[tuple]]:
        """The text of `d` and its citations: (position, cited index, verb, verb_class, cited_date,
        raw, start, end, location, paragraph, paragraph_index, in_series)."""
        rng, docs = self.rng, self.docs
        topic = TOPICS[d.topic][0] if d.family != "sc" else SC_TOPICS[d.topic]
        lines: list[str] = []
        cits: list[tuple] = []
        offset = 0
        pending: list[tuple] = []

        def add(line: str, spans: list[tuple] = (), location: str = "preamble") -> None:
            nonlocal offset
            pi = len(lines)
            for (cited, verb, vclass, cdate, raw, at, series) in spans:
                start = offset + at
                cits.append((cited, verb, vclass, cdate, raw, start, start + len(raw), location, line, pi, series))
            lines.append(line)
            offset += len(line) + 1

        # Head.
        if d.family == "letter":
            when = zh_date(d.date)
            add(f"{when}常驻联合国代表给秘书长的信")
            add(f"谨请求在大会第{zh_session(d.session)}届会议临时议程内列入一个题为“{d.title}”的补充项目。")
        else:
            if d.family == "draft":
                add(f"大会第{zh_session(d.session)}届会议")
                add("决议草案")
            else:
                add(f"第{short(d.symbol)}号决议")
            add(d.title or topic)
            add("安全理事会，" if d.family == "sc" else "大会，")

        uses = {"recall": 0, "refer": 0}

        def verb_of(vclass: str) -> str:
            if vclass in uses:
                v = VERBS[vclass][min(uses[vclass], 2)]
                uses[vclass] += 1
                return v
            return next(v for v, c in OTHER_VERBS if c == vclass)

        # The series paragraph, then the observer-status resolution.
        if d.series_cites:
            org = self.orgs[d.series_of]
            title = rng.choice(org.titles)
            v = verb_of("recall")
            head = f"{v}其关于{title}的"
            parts, spans, at = [], [], len(head)
            for j, m in enumerate(d.series_cites):
                c = docs[m]
                sep = "" if j == 0 else ("和" if j == len(d.series_cites) - 1 else "、")
                piece = f"{sep}{zh_date(c.date)}第{short(c.symbol)}号"
                raw = f"第{short(c.symbol)}号"
                spans.append((m, v, "recall", c.date, raw, at + piece.index(raw), 1))
                parts.append(piece)
                at += len(piece)
            add(head + "".join(parts) + "各项决议，", spans)
        if d.observer_cite is not None:
            c = docs[d.observer_cite]
            org = self.orgs[d.series_of]
            v = verb_of("recall")
            head = f"{v}其{zh_date(c.date)}关于给予{org.name_zh}大会观察员地位的"
            raw = f"第{short(c.symbol)}号决议"
            add(head + raw + "，", [(d.observer_cite, v, "recall", c.date, raw, len(head), 0)])

        # Ordinary citations, oldest first, 1-3 to a paragraph; about one in ten operative.
        want = d.k + self.debt
        chosen: list[int] = []
        seen: set[int] = set(d.series_cites)
        for _ in range(want):
            c = None
            for _ in range(3):
                c = self.pick(d)
                if c is None or c not in seen:
                    break
            if c is None or c in seen:  # nothing (new) to cite this early: a later text will
                continue
            seen.add(c)
            chosen.append(c)
        self.debt = want - len(chosen)
        chosen.sort(key=lambda i: docs[i].id)
        preamble, operative = [], []
        for c in chosen:
            (operative if d.family != "letter" and rng.random() < 0.1 else preamble).append(c)
        fill_pre = [FILLER_PRE[j].format(t=topic) for j in rng.sample(range(len(FILLER_PRE)), rng.randint(*self.filler))]
        i = 0
        while i < len(preamble):
            group = preamble[i:i + rng.choice((1, 1, 2, 3))]
            i += len(group)
            vclass = rng.choices(["recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind"],
                                 weights=[55, 20, 10, 5, 5, 5])[0]
            v = verb_of(vclass)
            if len(group) == 1:
                c = docs[group[0]]
                when = zh_date(c.date) if c.date and rng.random() < 0.7 else ""
                head = f"{v}{self.subject(d, c)}{when}"
                raw = f"第{short(c.symbol)}号决议"
                add(head + raw + "，", [(group[0], v, vclass, c.date if when else None, raw, len(head), 0)])
            else:
                head = f"{v}关于{topic}的各项决议，特别是"
                parts, spans, at = [], [], len(head)
                for j, m in enumerate(group):
                    c = docs[m]
                    sep = "" if j == 0 else ("和" if j == len(group) - 1 else "、")
                    when = zh_date(c.date) if c.date and rng.random() < 0.7 else ""
                    raw = f"第{short(c.symbol)}号决议"
                    piece = f"{sep}{self.subject(d, c)}{when}{raw}"
                    spans.append((m, v, vclass, c.date if when else None, raw, at + len(piece) - len(raw), 0))
                    parts.append(piece)
                    at += len(piece)
                add(head + "".join(parts) + "，", spans)
            if fill_pre and rng.random() < 0.4:
                add(fill_pre.pop())
        for line in fill_pre:
            add(line)
        # Operative part.
        if d.family != "letter":
            n = 0
            fill_op = [FILLER_OP[j].format(t=topic) for j in rng.sample(range(len(FILLER_OP)), rng.randint(*self.filler))]
            for line in fill_op:
                n += 1
                add(f"{n}. {line}", location="operative")
            for m in operative:
                n += 1
                c = docs[m]
                head = f"{n}. 请秘书长根据{self.subject(d, c)}"
                raw = f"第{short(c.symbol)}号决议"
                add(head + raw + f"的规定，继续开展{topic}方面的工作；", [(m, None, "other", None, raw, len(head), 0)],
                    location="operative")
            n += 1
            if d.family == "sc":
                add(f"{n}. {SC_CLOSING}", location="operative")
            else:
                add(f"{n}. " + CLOSING.format(title=d.title or topic, s=zh_session(min(99, (d.session or 80) + 1))),
                    location="operative")
        return "\n".join(lines), cits


# --- writing ---------------------------------------------------------------------------------------


def columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str, bool, object]]:
    return [(r[1], r[2].upper(), bool(r[3]), r[4]) for r in con.execute(f"PRAGMA table_info({table})")]


def fill_for(con: sqlite3.Connection, table: str, given: list[str]) -> dict[str, object]:
    """Values for NOT NULL columns without a default that this generator does not know (a column
    another change added): a neutral value, said out loud."""
    extra = {}
    for name, typ, notnull, default in columns(con, table):
        if name in given or not notnull or default is not None or name == "id":
            continue
        value = 1 if name == "version" else 0 if "INT" in typ or "BOOL" in typ else \
            STAMP if "DATETIME" in typ else "{}" if "JSON" in typ else ""
        print(f"  note: {table}.{name} is NOT NULL and new to the generator: filled with {value!r}")
        extra[name] = value
    return extra


def insert(con: sqlite3.Connection, table: str, names: list[str], rows: list[tuple]) -> None:
    cols = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    con.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)


def fts_present(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE name = 'document_fts'").fetchone() is not None


def copy_to_postgres(db: Path, url: str) -> None:
    """The SQLite corpus `db`, every row of every table (read model included), into the PostgreSQL
    database `url` migrated by `lineage migrate`, with COPY: the same rows, in a few seconds where
    `lineage export` + `import` would go through the writers. FTS5's tables are SQLite's own;
    PostgreSQL's pg_trgm indexes are kept by PostgreSQL as the rows arrive."""
    import psycopg
    from sqlalchemy import MetaData, create_engine

    from app.config import Settings

    t0 = time.perf_counter()
    env = dict(os.environ, LINEAGE_DATABASE_URL=url)
    subprocess.run([str(ROOT / ".venv" / "bin" / "lineage"), "migrate"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sa_url = Settings(database_url=url).sqlalchemy_url
    engine = create_engine(sa_url)
    meta = MetaData()
    meta.reflect(engine)
    engine.dispose()
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    in_sqlite = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    counts = {}
    with psycopg.connect(libpq) as pg:  # one transaction: all the rows or none
        n = pg.execute("SELECT count(*) FROM document").fetchone()[0]
        if n:
            print(f"{url}: already holds {n} documents: not copied")
            return
        for table in meta.sorted_tables:  # parents before children
            name = table.name
            # the database's own counters, which its migrations and triggers keep: not copied (the
            # drawings' stamps then name another data version, and their first reader checks them)
            if name in ("alembic_version", "data_version") or name not in in_sqlite:
                continue
            have = {r[1] for r in src.execute(f'PRAGMA table_info("{name}")')}
            cols = [c.name for c in table.columns if c.name in have]
            col_list = ", ".join(f'"{c}"' for c in cols)
            rows = 0
            with pg.cursor().copy(f'COPY "{name}" ({col_list}) FROM STDIN') as cp:
                for row in src.execute(f'SELECT {col_list} FROM "{name}"'):
                    cp.write_row(row)
                    rows += 1
            counts[name] = rows
            seq = pg.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{name}"']).fetchone()[0] \
                if "id" in cols else None
            if seq:  # the next id after the copied ones
                pg.execute(f'SELECT setval(%s, coalesce(max(id), 1), max(id) IS NOT NULL) FROM "{name}"', [seq])
    src.close()
    with psycopg.connect(libpq, autocommit=True) as pg:
        pg.execute("ANALYZE")
    print(f"{url}: copied in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in counts.items() if v))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1,
                    help="1: 20,000 documents; a fraction (0.02) gives a small corpus for tests")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--out", help="database file (default bench/out/lineage-<scale>.db)")
    ap.add_argument("--fts", choices=("rebuild", "triggers"), default="rebuild",
                    help="fill the FTS5 index by one 'rebuild' after the inserts (default, faster) "
                         "or row by row through the triggers")
    ap.add_argument("--filler", default=None,
                    help="min,max filler paragraphs per part (default 2,4; 1,2 at scale >= 10)")
    ap.add_argument("--force", action="store_true", help="overwrite an existing file")
    ap.add_argument("--database-url", help="then copy the file's rows into this PostgreSQL database (migrated "
                    "first; left alone if it already holds documents)")
    args = ap.parse_args(argv)
    filler = tuple(int(x) for x in args.filler.split(",")) if args.filler else ((2, 4) if args.scale < 10 else (1, 2))

    out = Path(args.out) if args.out else OUT / f"lineage-{args.scale:g}.db"
    if out.exists() and not args.force:
        print(f"{out} exists (use --force to regenerate)")
        if args.database_url:
            copy_to_postgres(out, args.database_url)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(out) + suffix).unlink(missing_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    env = dict(os.environ, LINEAGE_DATABASE_URL=f"sqlite:///{out}")
    subprocess.run([str(ROOT / ".venv" / "bin" / "lineage"), "migrate"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timings["migrate"] = time.perf_counter() - t0

    t = time.perf_counter()
    docs, orgs = plan(args.scale, args.seed)
    timings["plan"] = time.perf_counter() - t

    from app.models import paragraph_verbatim
    from app.search import fts

    con = sqlite3.connect(out, isolation_level=None)
    fts.register(con)  # the short words' index's triggers call it
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("PRAGMA temp_store=MEMORY")
    migrated_fts = fts_present(con)
    if args.fts == "rebuild":
        for sql in fts.statements("sqlite", drop=True):
            con.execute(sql)
    elif not migrated_fts:
        for sql in fts.statements("sqlite"):
            con.execute(sql)

    t = time.perf_counter()
    con.execute("BEGIN")
    org_names = ["id", "acronym", "name_zh", "name_en", "observer_symbol", "series_titles", "provenance"]
    extra = fill_for(con, "organization", org_names)
    insert(con, "organization", org_names + list(extra), [
        (oi + 1, o.acronym, o.name_zh, o.name_en, docs[o.observer].symbol,
         json.dumps(o.titles, ensure_ascii=False), "{}", *extra.values())
        for oi, o in enumerate(orgs)])
    doc_names = ["id", "key", "symbol", "kind", "session", "date", "date_source", "title", "title_en", "language",
                 "text", "source", "organization_id", "became_id", "provenance", "created_at", "updated_at"]
    dextra = fill_for(con, "document", doc_names)
    cit_names = ["citing_id", "position", "cited_symbol", "cited_id", "verb", "verb_class", "cited_date", "raw",
                 "start", "end", "location", "paragraph_index", "footnote", "called_from", "link",
                 "in_series"]
    cextra = fill_for(con, "citation", cit_names)
    # each quoted paragraph once, as the writer keeps it: with whether it is a run of its text
    para_names = ["document_id", "idx", "text", "verbatim"]
    corpus = Corpus(docs, orgs, args.scale, args.seed, filler)
    by_id = sorted(range(len(docs)), key=lambda i: docs[i].id)
    drows, crows, prows = [], [], []
    ndocs = ncits = text_bytes = 0
    for i in by_id:
        d = docs[i]
        text, cits = corpus.build(d) if d.has_text else (None, [])
        if text:
            text_bytes += len(text.encode())
        drows.append((
            d.id, d.key, d.symbol, d.kind, d.session, d.date.isoformat() if d.date else None,
            ("text" if d.has_text else "citation") if d.date else None,
            d.title if (d.has_text or d.role in ("observer", "series")) else None,
            TOPICS[d.topic][1] if d.family in ("ga", "draft") and d.has_text and not d.role else None,
            "zh" if d.has_text else None, text, "bench/generate.py" if d.has_text else None,
            d.org + 1 if d.org is not None else None,
            docs[d.became].id if d.became is not None else None,
            "{}", STAMP, STAMP, *dextra.values()))
        quoted: dict[int, str] = {}
        for pos, (cited, verb, vclass, cdate, raw, start, end, loc, para, pi, series) in enumerate(cits):
            c = docs[cited]
            crows.append((d.id, pos, c.symbol, c.id, verb, vclass, cdate.isoformat() if cdate else None, raw,
                          start, end, loc, pi, None, None, None, series, *cextra.values()))
            quoted.setdefault(pi, para)
        prows.extend((d.id, pi, para, paragraph_verbatim(para, text)) for pi, para in quoted.items())
        if len(drows) >= 5000:
            insert(con, "document", doc_names + list(dextra), drows)
            insert(con, "citation", cit_names + list(cextra), crows)
            insert(con, "paragraph", para_names, prows)
            ndocs += len(drows)
            ncits += len(crows)
            drows, crows, prows = [], [], []
    insert(con, "document", doc_names + list(dextra), drows)
    insert(con, "citation", cit_names + list(cextra), crows)
    insert(con, "paragraph", para_names, prows)
    ndocs += len(drows)
    ncits += len(crows)
    con.execute("COMMIT")
    timings[f"insert ({args.fts})"] = time.perf_counter() - t

    if args.fts == "rebuild":
        t = time.perf_counter()
        con.execute("BEGIN")
        for sql in fts.statements("sqlite"):  # tables, triggers, then 'rebuild' of both indexes
            con.execute(sql)
        con.execute("COMMIT")
        timings["fts rebuild"] = time.perf_counter() - t

    t = time.perf_counter()
    con.execute("PRAGMA journal_mode=WAL")  # what Lineage uses; nothing is left in the WAL
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    timings["finish"] = time.perf_counter() - t

    # The derived rows (chains, anomalies, counts, unresolved symbols) as the writers would have
    # left them: `lineage rebuild` computes them from what was just inserted.
    t = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "lineage"), "rebuild"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    timings["read model"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    ntext = sum(1 for d in docs if d.has_text)
    size = out.stat().st_size
    print(f"{out}: {len(orgs)} organizations, {ndocs} documents ({ntext} with text, "
          f"{text_bytes / 1e6:.0f} MB of text), {ncits} citations; file {size / 1e6:.0f} MB")
    print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    if corpus.debt:
        print(f"warning: {corpus.debt} citations could not be placed")
    if args.database_url:
        copy_to_postgres(out, args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
