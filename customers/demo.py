"""Demo customers for `manage.py seed_demo --customers small|medium|large`.

Sizes: small ~12k customers (`make run`: 100-300 per manager), medium ~50k, large 1M with ~10M
transactions (benchmarks). Generated set-based so that the large size takes minutes:

* `generate_chunk()` builds plain rows in Python (names in the script of the branch's
  country, valid identity numbers, E.164 phones, holdings, relationships ...) from one
  seeded random stream: the same seed gives the same rows (the test compares them).
* `load()` pre-allocates the ids from the tables' sequences, writes each chunk with
  PostgreSQL COPY (psycopg3 `cursor.copy`), adding the keyed hash / ciphertext / mask of
  identity numbers (ocrm.pii) and the name search keys (customers.master.search.name_grams) on
  the way, then derives transactions and the monthly balance history of the chunk's
  holdings in SQL (INSERT ... SELECT over generate_series, pseudo-random from a hash of
  the account number and the seed), and ANALYZEs at the end. One transaction.
"""

import dataclasses
import datetime
import json
import random
import time
from decimal import Decimal

import phonenumbers
from django.db import connection, transaction
from django.utils import timezone

from customers import parameters as customer_parameters
from customers.lifecycle import services as lifecycle
from customers.master.models import Customer, FxRate, Product, Tag
from customers.master.search import name_grams
from ocrm import pii, tenants
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs as batch_jobs
from ocrm.seed import SeedError, SeedPart
from sysadmin import demo as org_demo
from sysadmin.org.models import Bank, Branch, Staff
from sysadmin.parameters import services as parameter_services

# "small" (`make run`'s default) gives every customer manager of the demo organisation
# (~65, sysadmin/demo.py) 100-300 customers, as a real manager has.
SIZES = {"small": 12_000, "medium": 50_000, "large": 1_000_000, "none": 0}
CHUNK = 10_000
NUMBER_DIGITS = 11  # customer numbers: the bank's index digit + 11 digits (customers.number_* parameters)
UNASSIGNED_SHARE = 0.08  # customers without a primary manager (pool customers)
CORPORATE_SHARE = 0.10
BANK_SHARE = {"OGB": 0.7, "HCB": 0.3}

# --- reference data: products and rates --------------------------------------------------------

# (code stem, local name, English name, category, type, risk level or "")
PRODUCT_TEMPLATES = [
    ("DD", "活期储蓄", "Demand savings", "asset", "demand_deposit", ""),
    ("TD", "整存整取定期", "Time deposit", "asset", "time_deposit", ""),
    ("FUND", "稳健增长混合基金", "Steady Growth Mixed Fund", "asset", "fund", "R3"),
    ("BOND", "国债", "Government bond", "asset", "bond", "R1"),
    ("WM", "安享理财 90 天", "Secure Wealth 90-day", "asset", "wealth", "R2"),
    ("ML", "个人住房贷款", "Mortgage loan", "liability", "loan", ""),
    ("CL", "个人消费贷款", "Consumer loan", "liability", "loan", ""),
    ("CC", "白金信用卡", "Platinum credit card", "liability", "card", ""),
    ("INS", "终身寿险", "Whole life insurance", "fee", "insurance", "R1"),
]
CORPORATE_PRODUCTS = [
    ("CDD", "单位活期存款", "Corporate current account", "asset", "demand_deposit", ""),
    ("CTD", "单位定期存款", "Corporate time deposit", "asset", "time_deposit", ""),
    ("WCL", "流动资金贷款", "Working capital loan", "liability", "loan", ""),
]
BANK_CURRENCIES = {"OGB": ["CNY", "USD", "HKD", "GBP", "SGD"], "HCB": ["HKD", "CNY", "USD", "SGD"]}
COUNTRY_CURRENCY = {"CN": "CNY", "HK": "HKD", "SG": "SGD", "GB": "GBP", "US": "USD"}
# Units of CNY per unit; the rate table is derived per base currency.
CNY_PER_UNIT = {
    "CNY": Decimal("1"),
    "USD": Decimal("7.1234"),
    "HKD": Decimal("0.9112"),
    "GBP": Decimal("9.0456"),
    "SGD": Decimal("5.3012"),
    "EUR": Decimal("7.7321"),
}

TAGS = [
    ("VIP", "danger"),
    ("高净值", "warning"),
    ("代发工资", "info"),
    ("跨境客户", "primary"),
    ("养老金", "success"),
    ("数字银行偏好", "secondary"),
    ("房贷意向", "dark"),
]

# --- names ------------------------------------------------------------------------------------

CORP_BRANDS_CN = [
    ("华信", "Huaxin"),
    ("宏达", "Hongda"),
    ("恒通", "Hengtong"),
    ("瑞丰", "Ruifeng"),
    ("金桥", "Jinqiao"),
    ("天成", "Tiancheng"),
    ("永安", "Yong'an"),
    ("新世纪", "Xinshiji"),
    ("东方明珠", "Dongfang Mingzhu"),
    ("鼎盛", "Dingsheng"),
    ("嘉禾", "Jiahe"),
    ("远航", "Yuanhang"),
    ("博远", "Boyuan"),
    ("星辰", "Xingchen"),
]
CORP_BRANDS_HK = [
    ("華信", "Wah Shun"),
    ("恒昌", "Hang Cheong"),
    ("永利", "Wing Lee"),
    ("大昌", "Tai Cheong"),
    ("新港", "Sun Kong"),
    ("利豐", "Lee Fung"),
    ("美心", "Mei Sum"),
    ("嘉華", "Ka Wah"),
]
CORP_INDUSTRIES_CN = [
    ("贸易", "Trading", "批发和零售业"),
    ("科技", "Technology", "信息技术"),
    ("建设", "Construction", "建筑业"),
    ("物流", "Logistics", "交通运输"),
    ("食品", "Foods", "制造业"),
    ("医药", "Pharmaceutical", "医药制造"),
    ("投资", "Investment", "租赁和商务服务业"),
    ("电子", "Electronics", "制造业"),
]
CORP_INDUSTRIES_HK = [
    ("貿易", "Trading", "Trading"),
    ("地產", "Properties", "Real estate"),
    ("物流", "Logistics", "Logistics"),
    ("飲食", "Catering", "Food and beverage"),
    ("科技", "Technology", "Information technology"),
]
CORP_WEST = {
    "SG": (["Lion City", "Marina", "Straits", "Orchid", "Temasek", "Harbourfront"], "Pte. Ltd."),
    "GB": (["Thames", "Albion", "Kingsway", "Pennine", "Highgate", "Mersey"], "Ltd"),
    "US": (["Hudson", "Liberty", "Empire", "Atlantic", "Brooklyn", "Madison"], "LLC"),
}
CORP_WEST_INDUSTRIES = [
    ("Trading", "Wholesale"),
    ("Capital", "Finance"),
    ("Logistics", "Transport"),
    ("Technologies", "Information technology"),
    ("Foods", "Food and beverage"),
]
CITY = {  # branch code prefix -> (local city name, pinyin, region, resident ID area code)
    "SH": ("上海", "Shanghai", "上海市", "310115"),
    "BJ": ("北京", "Beijing", "北京市", "110105"),
    "SZ": ("深圳", "Shenzhen", "广东省", "440304"),
    "GZ": ("广州", "Guangzhou", "广东省", "440106"),
    "HZ": ("杭州", "Hangzhou", "浙江省", "330102"),
}
STREETS = {
    "CN": ["中山路", "人民路", "解放路", "建设路", "南京路", "淮海路", "长安街", "滨江大道"],
    "HK": ["彌敦道", "皇后大道中", "軒尼詩道", "英皇道", "德輔道中", "太子道西"],
    "SG": ["Orchard Road", "Bukit Timah Road", "Tampines Street 21", "Ang Mo Kio Avenue 3", "Jurong West Street 41"],
    "GB": ["High Street", "Station Road", "Victoria Road", "Church Lane", "Kings Road"],
    "US": ["Broadway", "Madison Avenue", "Park Avenue", "Lexington Avenue", "West 57th Street"],
}
OCCUPATIONS = [
    "engineer",
    "teacher",
    "doctor",
    "civil servant",
    "business owner",
    "accountant",
    "sales manager",
    "lawyer",
    "designer",
    "retired",
]
CHANNEL_CONTACT = ["phone", "visit", "branch", "email", "sms", "messaging", "video"]
# Contacts and notes are written in the language of the branch's country: Chinese in mainland
# China and Hong Kong, English elsewhere. (subject, outcome, next action) per language.
CONTACT_SUBJECTS = {
    "zh": [
        ("理财产品到期提醒", "客户表示到期后继续购买", "到期前再次确认续购金额"),
        ("年度回访", "客户对服务满意", ""),
        ("信用卡分期推荐", "客户暂无兴趣", ""),
        ("KYC 资料更新", "已收到身份证明复印件", "提醒客户补充住址证明"),
        ("房贷利率咨询", "已发送最新利率表", "两周后电话跟进"),
        ("定期存款到期提醒", "客户考虑转为大额存单", "到期前约客户到网点面谈"),
    ],
    "en": [
        ("Reminded of maturing wealth product", "Will reinvest", "Confirm the amount before maturity"),
        ("Annual review call", "Satisfied with the service", ""),
        ("Card instalment offer", "Not interested", ""),
        ("KYC documents update", "Documents received", "Ask for proof of address"),
        ("Mortgage rate enquiry", "Sent rate sheet", "Call back in two weeks"),
        ("Time deposit maturing", "Considering a larger deposit", "Meet at the branch before maturity"),
    ],
}
NOTES = {
    "zh": [
        "偏好电话联系，工作日晚上方便。",
        "经常出差，优先发邮件。",
        "关注子女教育金规划。",
        "对美元定期存款感兴趣。",
        "风险偏好稳健，不接受净值波动超过 5%。",
        "咨询过养老金产品。",
    ],
    "en": [
        "Prefers phone calls on weekday evenings.",
        "Prefers e-mail; travels often.",
        "Planning for the children's education.",
        "Interested in USD time deposits.",
        "Cautious investor: no more than 5% swings in value.",
        "Asked about the pension product.",
    ],
}


def language_of(country):
    return "zh" if country in ("CN", "HK") else "en"


class DemoCustomersError(SeedError):
    """Demo customers cannot be loaded; the message says why."""


@dataclasses.dataclass
class BankContext:
    id: int
    code: str
    base_currency: str
    index: int  # a digit that keeps customer/account numbers of the two banks apart
    branches: list  # [(branch_id, branch_code, country, [customer_manager ids], [staff ids])], weighted by managers
    products: dict  # (product_type, currency, kind) -> [(product_id, category, code)]
    tags: list  # tag ids


@dataclasses.dataclass
class Context:
    banks: list
    as_of: datetime.date
    seed: int


# --- identity numbers ---------------------------------------------------------------------------


def resident_id(area, birth, sequence):
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    total = sum(int(d) * w for d, w in zip(body, pii.RESIDENT_ID_WEIGHTS, strict=True))
    return body + pii.RESIDENT_ID_CHECK[total % 11]


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def unified_social_credit_code(area, serial):
    """GB 32100-2015: 91 (enterprise) + area + 9-character organisation code + check character."""
    org = f"{serial:08d}"
    org += str((11 - sum(int(d) * w for d, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11) % 11 % 10)
    body = f"91{area}{org}"
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def hk_identity_number(rng):
    letter = rng.choice("ACDEGHKPRVWYZ")
    digits = f"{rng.randint(0, 999999):06d}"
    total = 36 * 9 + (ord(letter) - 55) * 8 + sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{letter}{digits}{'A' if check == 10 else check}"


def singapore_nric(rng, prefix):
    digits = f"{rng.randint(0, 9999999):07d}"
    total = sum(int(d) * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2), strict=True)) + (4 if prefix in "TG" else 0)
    letters = "JZIHGFEDCBA" if prefix in "ST" else "XWUTRQPNMLK"
    return f"{prefix}{digits}{letters[total % 11]}"


# --- phones: national number prefixes that phonenumbers accepts as valid mobiles ----------------

MOBILE_PLANS = {  # country code, candidate prefixes, digits after the prefix
    "CN": ("86", [f"1{n:03d}" for n in range(300, 1000)], 7),
    "HK": ("852", [f"{a}{n:03d}" for a in "569" for n in range(1000)], 4),
    "SG": ("65", [f"{a}{n:03d}" for a in "89" for n in range(1000)], 4),
    "GB": ("44", [f"7{n:04d}" for n in range(4000, 10000, 7)], 5),
    "US": ("1", ["2125550"], 3),  # 555-01xx: reserved for fiction
}
_valid_prefixes = {}


def mobile_prefixes(country):
    """The candidate prefixes whose numbers phonenumbers accepts whatever the remaining digits."""
    if country not in _valid_prefixes:
        code, prefixes, tail = MOBILE_PLANS[country]
        samples = [d * tail for d in "0259"] + [f"{n:0{tail}d}"[-tail:] for n in (1357913, 8642086, 4711)]

        def valid(national):
            return phonenumbers.is_valid_number(phonenumbers.parse(f"+{code}{national}"))

        _valid_prefixes[country] = [p for p in prefixes if all(valid(p + s) for s in samples)]
    return _valid_prefixes[country]


def mobile_number(rng, country):
    code, _, tail = MOBILE_PLANS[country]
    prefix = rng.choice(mobile_prefixes(country))
    if country == "US":
        return f"+{code}{prefix}1{rng.randint(0, 99):02d}"
    return f"+{code}{prefix}{rng.randint(0, 10**tail - 1):0{tail}d}"


# --- context from the database -------------------------------------------------------------------


def build_context(seed, as_of=None):
    """Banks, branches, managers, products and tags of the demo banks (products, rates and tags are
    created when missing)."""
    as_of = as_of or timezone.localdate()
    banks = []
    manager_ids = {}
    for user_id, branch_id in (
        Staff.objects.filter(groups__name="customer_manager", is_active=True).values_list("pk", "branch_id").order_by("pk")
    ):
        manager_ids.setdefault(branch_id, []).append(user_id)
    staff_ids = {}
    for user_id, branch_id in Staff.objects.filter(is_active=True).values_list("pk", "branch_id").order_by("pk"):
        staff_ids.setdefault(branch_id, []).append(user_id)
    for index, code in enumerate(sorted(BANK_SHARE), start=1):
        bank = Bank.objects.filter(code=code).first()
        if bank is None:
            raise DemoCustomersError(f"Demo bank {code} is missing: load the demo organisation first.")
        ensure_reference_data(bank, as_of)
        # Customers created on the pages are numbered like the loaded ones (index + 11 digits).
        parameter_services.set_value("customers.number_prefix", str(index), bank=bank)
        parameter_services.set_value("customers.number_digits", NUMBER_DIGITS, bank=bank)
        branches = [
            (b.pk, b.code, str(b.country), manager_ids.get(b.pk, []), staff_ids.get(b.pk, []))
            for b in Branch.objects.filter(bank=bank, level__in=[Branch.Level.BRANCH, Branch.Level.SUB_BRANCH]).order_by("code")
        ]
        products = {}
        for pk, category, ptype, currency, pcode in (
            Product.objects.filter(bank=bank, code__startswith="DEMO-")
            .order_by("code")
            .values_list("pk", "category", "product_type", "currency", "code")
        ):
            kind = "corporate" if pcode.split("-")[1] in {t[0] for t in CORPORATE_PRODUCTS} else "retail"
            products.setdefault((ptype, currency, kind), []).append((pk, category, pcode))
        tags = list(Tag.objects.filter(bank=bank, name__in=[t for t, _ in TAGS]).order_by("name").values_list("pk", flat=True))
        banks.append(BankContext(bank.pk, code, bank.base_currency, index, branches, products, tags))
    return Context(banks=banks, as_of=as_of, seed=seed)


def ensure_reference_data(bank, as_of):
    existing = set(Product.objects.filter(bank=bank).values_list("code", flat=True))
    rows = []
    for currency in BANK_CURRENCIES[bank.code]:
        for stem, local, english, category, ptype, risk in PRODUCT_TEMPLATES + CORPORATE_PRODUCTS:
            if currency != bank.base_currency and ptype in ("loan", "insurance", "bond"):
                continue  # loans, insurance and bonds only in the home currency
            code = f"DEMO-{stem}-{currency}"
            if code not in existing:
                rows.append(
                    Product(
                        bank=bank,
                        code=code,
                        name_local=f"{local}（{currency}）",
                        name_en=f"{english} ({currency})",
                        category=category,
                        product_type=ptype,
                        currency=currency,
                        risk_level=risk,
                    )
                )
    Product.objects.bulk_create(rows)
    load_rate_history(bank, as_of)
    have = set(Tag.objects.filter(bank=bank).values_list("name", flat=True))
    Tag.objects.bulk_create(Tag(bank=bank, name=n, colour=c) for n, c in TAGS if n not in have)


# Daily posted rates from RATE_HISTORY_DAYS before `as_of` up to it: the batch layer converts
# at the rate of each business date (the nightly lifecycle job, the month-end balance history,
# feeds of past dates), the rate board (customers.fx) shows them. A smooth seeded drift of a few
# per cent, exactly the reference rate on `as_of`; the base currency is 1 throughout. Each day's
# posting takes effect at the start of the day in the bank's head-office zone, as a rates feed
# would post it, with the spreads of a real board: transfers a little either side of the middle
# rate, cash bought lower (the bank must ship the notes) and sold at the transfer selling rate.
# Days already there are left alone.
RATE_HISTORY_DAYS = 400
# Half the transfer spread and the cash buying discount, as fractions of the middle rate.
RATE_SPREADS = {"USD": ("0.0015", "0.0080"), "HKD": ("0.0015", "0.0080"), "EUR": ("0.0018", "0.0095")}
RATE_SPREAD_OTHERS = ("0.0025", "0.0140")
RATE_HISTORY_SQL = """
INSERT INTO customers_fxrate (bank_id, currency, rate, buy_transfer, sell_transfer, buy_cash, sell_cash, as_of,
                              effective_at, source, reference, created_at)
SELECT %(bank)s, r.currency, r.mid,
       CASE WHEN r.base THEN 1 ELSE round(r.mid * (1 - r.transfer), 8) END,
       CASE WHEN r.base THEN 1 ELSE round(r.mid * (1 + r.transfer), 8) END,
       CASE WHEN r.base THEN 1 ELSE round(r.mid * (1 - r.cash), 8) END,
       CASE WHEN r.base THEN 1 ELSE round(r.mid * (1 + r.transfer), 8) END,
       r.day, r.day::timestamp AT TIME ZONE %(zone)s, 'feed', 'demo', now()
FROM (
    SELECT c.currency, d::date AS day, c.currency = %(base)s AS base, c.transfer, c.cash,
           CASE WHEN c.currency = %(base)s THEN 1
                ELSE round(c.rate * (1 + 0.03 * sin((%(as_of)s::date - d::date) / 47.0 + c.phase)
                                       - 0.03 * sin(c.phase))::numeric, 8) END AS mid
    FROM unnest(%(currencies)s::text[], %(rates)s::numeric[], %(phases)s::float8[], %(transfer)s::numeric[],
                %(cash)s::numeric[]) AS c(currency, rate, phase, transfer, cash)
    CROSS JOIN generate_series(%(as_of)s::date - %(days)s, %(as_of)s::date, interval '1 day') AS d
) r
ON CONFLICT (bank_id, currency, effective_at) DO NOTHING
"""


def load_rate_history(bank, as_of):
    base = CNY_PER_UNIT[bank.base_currency]
    currencies = sorted(CNY_PER_UNIT)
    spreads = [RATE_SPREADS.get(c, RATE_SPREAD_OTHERS) for c in currencies]
    with connection.cursor() as cursor:
        cursor.execute(
            RATE_HISTORY_SQL,
            {
                "bank": bank.pk,
                "base": bank.base_currency,
                "zone": tenants.zone_key(tenants.bank_zone(bank.pk)),
                "as_of": as_of,
                "days": RATE_HISTORY_DAYS,
                "currencies": currencies,
                "rates": [(CNY_PER_UNIT[c] / base).quantize(Decimal("0.00000001")) for c in currencies],
                "phases": [index * 1.3 for index in range(len(currencies))],
                "transfer": [Decimal(t) for t, _cash in spreads],
                "cash": [Decimal(c) for _t, c in spreads],
            },
        )


# --- row generation (pure: no database) --------------------------------------------------------

TABLES = {
    "customer": (
        "customers_customer",
        [
            "id",
            "bank_id",
            "number",
            "kind",
            "name_local",
            "name_latin",
            "name_grams",
            "branch_id",
            "primary_manager_id",
            "lifecycle_stage",
            "tier",
            "star_rating",
            "risk_level",
            "aum",
            "contribution",
            "source_systems",
            "do_not_contact",
            "do_not_sms",
            "do_not_email",
            "household_id",
            "created_at",
            "updated_at",
        ],
    ),
    "retail": (
        "customers_retailprofile",
        [
            "customer_id",
            "gender",
            "birth_date",
            "nationality",
            "occupation",
            "employer",
            "education",
            "marital_status",
            "income_band",
            "interests",
            "hobbies",
            "personality_notes",
            "preference_notes",
        ],
    ),
    "corporate": (
        "customers_corporateprofile",
        [
            "customer_id",
            "registration_code",
            "industry",
            "legal_representative",
            "registered_capital",
            "capital_currency",
            "size",
            "founded_on",
            "is_listed",
        ],
    ),
    "identity": (
        "customers_identitydocument",
        [
            "id",
            "bank_id",
            "customer_id",
            "doc_type",
            "number_hash",
            "number_encrypted",
            "number_masked",
            "issuing_country",
            "expiry_date",
            "is_primary",
        ],
    ),
    "contact": (
        "customers_contactpoint",
        ["id", "bank_id", "customer_id", "kind", "value", "is_primary", "is_verified", "opted_out"],
    ),
    "address": (
        "customers_address",
        ["id", "bank_id", "customer_id", "kind", "country", "region", "city", "line1", "line2", "postcode", "is_primary"],
    ),
    "household": ("customers_household", ["id", "bank_id", "name", "primary_member_id"]),
    "relationship": (
        "customers_relationship",
        ["id", "bank_id", "from_customer_id", "to_customer_id", "kind", "share_percent", "note"],
    ),
    "holding": (
        "customers_holding",
        [
            "id",
            "bank_id",
            "customer_id",
            "product_id",
            "branch_id",
            "account_number",
            "currency",
            "balance",
            "open_date",
            "maturity_date",
            "rate",
            "status",
            "next_instalment_date",
            "next_instalment_amount",
            "source_system",
        ],
    ),
    "service": (
        "customers_servicecontact",
        [
            "id",
            "bank_id",
            "customer_id",
            "staff_id",
            "role",
            "channel",
            "occurred_at",
            "subject",
            "outcome",
            "notes",
            "next_action",
            "next_action_date",
        ],
    ),
    "note": ("customers_customernote", ["id", "bank_id", "customer_id", "author_id", "created_at", "text"]),
    "tag": ("customers_customertag", ["id", "customer_id", "tag_id", "added_by_id", "added_at"]),
}
SEQUENCED = ["customer", "identity", "contact", "address", "household", "relationship", "holding", "service", "note", "tag"]


class IdAllocator:
    """Ids from pre-allocated blocks (one per table); `next(kind)` hands them out in order."""

    def __init__(self, bases):
        self.next_ids = dict(bases)

    def __call__(self, kind):
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value


def plan_counts(total):
    """How many customers each bank gets."""
    ogb = round(total * BANK_SHARE["OGB"])
    return {"OGB": ogb, "HCB": total - ogb}


def _person(rng, country):
    """(name_local, name_latin, gender) in the script of the country."""
    gender = rng.choice("mf")
    if country == "CN":
        (s, sp), (g, gp) = rng.choice(org_demo.CN_SURNAMES), rng.choice(org_demo.CN_GIVEN[gender])
        return s + g, f"{sp} {gp}", gender
    if country == "HK" or (country == "SG" and rng.random() < 0.7):
        surnames, given = (
            (org_demo.HK_SURNAMES, org_demo.HK_GIVEN)
            if country == "HK"
            else (org_demo.SG_CHINESE_SURNAMES, org_demo.SG_CHINESE_GIVEN)
        )
        (s, sr), (g, gr) = rng.choice(surnames), rng.choice(given[gender])
        english = rng.choice(org_demo.ASIAN_ENGLISH_NAMES[gender]) + " " if rng.random() < 0.4 else ""
        return s + g, f"{english}{sr} {gr}", gender
    if country == "SG":
        if rng.random() < 0.5:
            given, father = rng.choice(org_demo.MALAY_GIVEN[gender]), rng.choice(org_demo.MALAY_FATHERS)
            name = f"{given} {'bin' if gender == 'm' else 'binte'} {father}"
        else:
            given, father = rng.choice(org_demo.INDIAN_GIVEN[gender]), rng.choice(org_demo.INDIAN_FATHERS)
            name = f"{given} {'s/o' if gender == 'm' else 'd/o'} {father}"
        return name, name, gender
    given_names, surnames = (
        (org_demo.GB_GIVEN, org_demo.GB_SURNAMES) if country == "GB" else (org_demo.US_GIVEN, org_demo.US_SURNAMES)
    )
    name = f"{rng.choice(given_names[gender])} {rng.choice(surnames)}"
    return name, name, gender


def _company(rng, country, city):
    if country == "CN":
        (b, bp), (ind, indp, sector) = rng.choice(CORP_BRANDS_CN), rng.choice(CORP_INDUSTRIES_CN)
        return f"{city[0]}{b}{ind}有限公司", f"{city[1]} {bp} {indp} Co., Ltd.", sector
    if country == "HK":
        (b, bp), (ind, indp, sector) = rng.choice(CORP_BRANDS_HK), rng.choice(CORP_INDUSTRIES_HK)
        return f"香港{b}{ind}有限公司", f"{bp} {indp} (Hong Kong) Limited", sector
    stems, suffix = CORP_WEST[country]
    word, sector = rng.choice(CORP_WEST_INDUSTRIES)
    name = f"{rng.choice(stems)} {word} {suffix}"
    return name, name, sector


def _city(branch_code, country):
    if country == "CN":
        return CITY[branch_code.split("-")[0]]
    return {
        "HK": ("香港", "Hong Kong", "香港", ""),
        "SG": ("新加坡", "Singapore", "", ""),
        "GB": ("伦敦", "London", "England", ""),
        "US": ("纽约", "New York", "NY", ""),
    }[country]


def _money(value):
    return Decimal(value).quantize(Decimal("0.01"))


def _thresholds(key):
    """The declared default of a rating parameter: [(value, aum floor, contribution floor)], highest first."""
    entries = json.loads(customer_parameters.PARAMETERS[key][1])
    label = "tier" if key == "rating.tier_thresholds" else "stars"
    return [(e[label], Decimal(str(e.get("aum", "Infinity"))), Decimal(str(e.get("contribution", "Infinity")))) for e in entries]


def tier_and_stars(aum, contribution=Decimal(0)):
    """The rating the nightly job gives (customers.lifecycle, the default thresholds): the
    demo starts where the first nightly run leaves it, so that run changes little."""

    def first(key, default):
        for value, aum_floor, contribution_floor in _thresholds(key):
            if aum >= aum_floor or contribution >= contribution_floor:
                return value
        return default

    return first("rating.tier_thresholds", "mass"), first("rating.star_thresholds", 0)


def generate_chunk(context, bank, first_ordinal, count, rng, ids):
    """Rows (dict table -> list of tuples) for customers first_ordinal .. first_ordinal+count-1 of `bank`.
    Identity rows carry the clear number in place of hash/ciphertext/mask (the writer derives those)."""
    rows = {kind: [] for kind in TABLES}
    as_of = context.as_of
    now = datetime.datetime.combine(as_of, datetime.time(9, 0), tzinfo=datetime.UTC)
    rates = {c: CNY_PER_UNIT[c] / CNY_PER_UNIT[bank.base_currency] for c in CNY_PER_UNIT}
    weights = [max(len(b[3]), 1) for b in bank.branches]
    recent_retail = {}  # branch id -> recent retail customers (id, name, latin) for families and legal reps
    for ordinal in range(first_ordinal, first_ordinal + count):
        branch_id, branch_code, country, managers, staff = rng.choices(bank.branches, weights)[0]
        city = _city(branch_code, country)
        customer_id = ids("customer")
        number = f"{bank.index}{ordinal:0{NUMBER_DIGITS}d}"
        corporate = rng.random() < CORPORATE_SHARE
        manager = rng.choice(managers) if managers and rng.random() >= UNASSIGNED_SHARE else None
        created = now - datetime.timedelta(days=rng.randint(30, 15 * 365))
        birth = None
        if corporate:
            name_local, name_latin, sector = _company(rng, country, city)
            founded = as_of - datetime.timedelta(days=rng.randint(400, 30 * 365))
            serial = rng.randint(10_000_000, 99_999_999)
            if country == "CN":
                registration = unified_social_credit_code(city[3], serial)
                docs = [("business_licence", registration, country, None)]
            else:
                registration = {
                    "HK": f"{serial}",
                    "SG": f"{founded:%Y}{serial % 100000:05d}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}",
                    "GB": f"{serial:08d}",
                    "US": f"{serial // 10000000:02d}-{serial % 10000000:07d}",
                }[country]
                docs = [("business_licence", registration, country, None)]
            capital = _money(rng.choice([1, 5, 10, 50, 100, 500]) * 1_000_000)
            size = rng.choices(["micro", "small", "medium", "large"], [30, 40, 22, 8])[0]
            reps = recent_retail.get(branch_id, [])
            legal_rep = reps[-1] if reps else None
            rows["corporate"].append(
                (
                    customer_id,
                    registration,
                    sector,
                    legal_rep[1] if legal_rep else "",
                    capital,
                    COUNTRY_CURRENCY[country],
                    size,
                    founded,
                    rng.random() < 0.05,
                )
            )
        else:
            name_local, name_latin, gender = _person(rng, country)
            birth = as_of - datetime.timedelta(days=rng.randint(20 * 365, 80 * 365))
            docs = _identity_documents(rng, country, city, birth, as_of)
            rows["retail"].append(
                (
                    customer_id,
                    "M" if gender == "m" else "F",
                    birth,
                    {"GB": "GB", "US": "US"}.get(country, country),
                    rng.choice(OCCUPATIONS),
                    "",
                    rng.choice(["secondary", "vocational", "bachelor", "master", "doctorate"]),
                    rng.choice(["single", "married", "married", "divorced", "widowed"]),
                    rng.choices(["low", "middle", "high", "very_high"], [40, 40, 15, 5])[0],
                    "",
                    "",
                    "",
                    "",
                )
            )
        for position, (doc_type, doc_number, issuer, expiry) in enumerate(docs):
            rows["identity"].append((ids("identity"), bank.id, customer_id, doc_type, doc_number, issuer, expiry, position == 0))
        _contacts(rng, rows, ids, bank, customer_id, country, name_latin, corporate)
        street = rng.choice(STREETS[country])
        line1 = (
            f"{city[0]}{street}{rng.randint(1, 999)}号"
            if country == "CN"
            else f"{street}{rng.randint(1, 999)}號"
            if country == "HK"
            else f"{rng.randint(1, 300)} {street}"
        )
        rows["address"].append(
            (
                ids("address"),
                bank.id,
                customer_id,
                "registered" if corporate else "home",
                country,
                city[2],
                city[1],
                line1,
                "",
                f"{rng.randint(10000, 99999)}",
                True,
            )
        )
        lifecycle = rng.choices(["active", "dormant", "declining", "prospect", "exited"], [80, 8, 6, 4, 2])[0]
        aum, contribution = _holdings(
            rng, rows, ids, bank, customer_id, branch_id, country, corporate, lifecycle, rates, as_of, ordinal
        )
        tier, stars = tier_and_stars(aum, contribution)
        risk = "" if lifecycle == "prospect" else rng.choice(["R1", "R2", "R3", "R3", "R4", "R5"])
        household_id = None
        if not corporate:
            household_id = _family(rng, rows, ids, bank, recent_retail, branch_id, customer_id, name_local, name_latin)
        else:
            _corporate_relations(rng, rows, ids, bank, recent_retail.get(branch_id, []), customer_id)
        rows["customer"].append(
            (
                customer_id,
                bank.id,
                number,
                "corporate" if corporate else "retail",
                name_local,
                name_latin,
                name_grams(name_local, name_latin),
                branch_id,
                manager,
                lifecycle,
                tier,
                stars,
                risk,
                aum,
                contribution,
                ["ECIF", "CBS"] if rng.random() < 0.7 else ["ECIF"],
                rng.random() < 0.02,
                rng.random() < 0.05,
                rng.random() < 0.05,
                household_id,
                created,
                now,
            )
        )
        if not corporate and household_id is None:
            recent_retail.setdefault(branch_id, []).append((customer_id, name_local, name_latin))
            del recent_retail[branch_id][:-6]
        author = manager or (rng.choice(staff) if staff else None)
        language = language_of(country)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            subject, outcome, next_action = rng.choice(CONTACT_SUBJECTS[language])
            days_ago = rng.randint(0, 365)
            when = now - datetime.timedelta(days=days_ago, minutes=rng.randint(0, 600))
            # A follow-up of a recent contact is still to come; older ones are long done.
            follow_up = as_of + datetime.timedelta(days=rng.randint(1, 30)) if next_action and days_ago < 30 else None
            rows["service"].append(
                (
                    ids("service"),
                    bank.id,
                    customer_id,
                    author,
                    rng.choice(["manager", "manager", "call_centre", "teller"]),
                    rng.choice(CHANNEL_CONTACT),
                    when,
                    subject,
                    outcome,
                    "",
                    next_action if follow_up else "",
                    follow_up,
                )
            )
        if rng.random() < 0.3:
            rows["note"].append(
                (
                    ids("note"),
                    bank.id,
                    customer_id,
                    author,
                    now - datetime.timedelta(days=rng.randint(0, 365)),
                    rng.choice(NOTES[language]),
                )
            )
        if bank.tags and (stars >= 5 or rng.random() < 0.15):
            for tag_id in sorted(rng.sample(bank.tags, rng.randint(1, min(2, len(bank.tags))))):
                rows["tag"].append((ids("tag"), customer_id, tag_id, manager, created))
    return rows


def _identity_documents(rng, country, city, birth, as_of):
    expiry = as_of + datetime.timedelta(days=rng.randint(-30, 10 * 365))  # a few expired or expiring soon
    if country == "CN":
        docs = [("resident_id", resident_id(city[3], birth, rng.randint(0, 999)), "CN", expiry)]
        if rng.random() < 0.3:
            docs.append(("passport", f"E{rng.randint(10_000_000, 99_999_999)}", "CN", expiry))
        if rng.random() < 0.1:
            docs.append(("hkm_permit", f"C{rng.randint(10_000_000, 99_999_999)}", "CN", expiry))
        return docs
    if country == "HK":
        docs = [("hk_id", hk_identity_number(rng), "HK", None)]
    elif country == "SG":
        docs = [("foreign_id", singapore_nric(rng, "S" if birth.year < 2000 else "T"), "SG", None)]
    else:
        docs = [("passport", f"{rng.randint(100_000_000, 999_999_999)}", country, expiry)]
    if rng.random() < 0.3 and country != "GB" and country != "US":
        docs.append(("passport", f"K{rng.randint(10_000_000, 99_999_999)}", country, expiry))
    return docs


def _contacts(rng, rows, ids, bank, customer_id, country, name_latin, corporate):
    stem = ".".join(w for w in "".join(ch if ch.isalnum() else " " for ch in name_latin.lower()).split()[:2])
    contacts = [("mobile", mobile_number(rng, country))]
    if rng.random() < 0.6:
        domain = "example.com" if not corporate else "example.org"
        contacts.append(("email", f"{stem or 'client'}{rng.randint(1, 9999)}@{domain}"))
    if rng.random() < 0.25:
        contacts.append(
            ("mobile", mobile_number(rng, country))
            if rng.random() < 0.5
            else ("wechat" if country == "CN" else "whatsapp", f"wx_{stem.replace('.', '_')}{rng.randint(1, 999)}")
        )
    for position, (kind, value) in enumerate(contacts):
        rows["contact"].append(
            (ids("contact"), bank.id, customer_id, kind, value, position == 0, rng.random() < 0.7, rng.random() < 0.03)
        )


# product types held by retail customers: (type, weight); the first holding is always a demand deposit
RETAIL_MIX = [
    ("time_deposit", 20),
    ("fund", 12),
    ("wealth", 12),
    ("bond", 5),
    ("card", 20),
    ("loan", 10),
    ("insurance", 8),
    ("demand_deposit", 8),
]
CORPORATE_MIX = [("time_deposit", 40), ("loan", 40), ("demand_deposit", 20)]
BALANCE_SCALE = {
    "demand_deposit": 30_000,
    "time_deposit": 150_000,
    "fund": 120_000,
    "wealth": 200_000,
    "bond": 100_000,
    "card": 8_000,
    "loan": 600_000,
    "insurance": 50_000,
}
ANNUAL_RATE = {
    "demand_deposit": "0.2500",
    "time_deposit": "1.9500",
    "loan": "3.9500",
    "card": "18.2500",
    "wealth": "2.8000",
    "bond": "2.3500",
}


def _holdings(rng, rows, ids, bank, customer_id, branch_id, country, corporate, lifecycle, rates, as_of, ordinal):
    kind = "corporate" if corporate else "retail"
    local = COUNTRY_CURRENCY[country]
    if lifecycle == "prospect":
        return Decimal(0), Decimal(0)  # a prospect holds nothing yet
    n = rng.choices([1, 2, 3, 4, 5, 6], [22, 28, 22, 14, 9, 5])[0]
    types = ["demand_deposit"] + [
        rng.choices(*zip(*(CORPORATE_MIX if corporate else RETAIL_MIX), strict=True))[0] for _ in range(n - 1)
    ]
    wealth = rng.lognormvariate(0, 1.1) * (8 if corporate else 1)
    aum = contribution = Decimal(0)
    for position, ptype in enumerate(types):
        currency = local if rng.random() < 0.8 else bank.base_currency
        choices = (
            bank.products.get((ptype, currency, kind))
            or bank.products.get((ptype, bank.base_currency, kind))
            or bank.products.get((ptype, bank.base_currency, "retail"))
        )
        product_id, category, _ = rng.choice(choices)
        currency = choices[0][2].rsplit("-", 1)[1]
        status = {"dormant": "dormant", "exited": "closed"}.get(lifecycle, "active")
        # Scales are in CNY; converted into the holding's currency.
        balance = (
            Decimal(0)
            if lifecycle == "exited"
            else _money(Decimal(BALANCE_SCALE[ptype] * wealth * rng.uniform(0.3, 1.7)) / CNY_PER_UNIT[currency])
        )
        # A dormant customer has opened nothing for well over a year (an opening counts as activity).
        opened = as_of - datetime.timedelta(days=rng.randint(500 if lifecycle == "dormant" else 60, 12 * 365))
        maturity = next_date = next_amount = None
        if ptype in ("time_deposit", "wealth", "bond"):
            # A quarter mature within two months: the managers' maturity calls to come.
            soon = rng.random() < 0.25
            maturity = as_of + datetime.timedelta(days=rng.randint(1, 60) if soon else rng.randint(61, 3 * 365))
        if ptype == "loan":
            maturity = opened + datetime.timedelta(days=rng.choice([3, 5, 10, 20, 30]) * 365)
            if balance:
                next_date = as_of + datetime.timedelta(days=rng.randint(1, 30))
                next_amount = _money(balance / 120 * Decimal("1.02"))
        rate = Decimal(ANNUAL_RATE[ptype]) if ptype in ANNUAL_RATE else None
        account = f"6{bank.index}{ordinal:011d}{position:02d}"
        rows["holding"].append(
            (
                ids("holding"),
                bank.id,
                customer_id,
                product_id,
                branch_id,
                account,
                currency,
                balance,
                opened,
                maturity,
                rate,
                status,
                next_date,
                next_amount,
                "CARDS" if ptype == "card" else "WEALTH" if ptype in ("fund", "wealth", "bond") else "CBS",
            )
        )
        if category == "asset":
            aum += balance * rates[currency]
            contribution += balance * rates[currency] * Decimal("0.006")
        elif category == "liability":
            contribution += balance * rates[currency] * Decimal("0.012")
        else:
            contribution += balance * rates[currency] * Decimal("0.03")
    return _money(aum), _money(contribution)


def _family(rng, rows, ids, bank, recent_retail, branch_id, customer_id, name_local, name_latin):
    """About a fifth of retail customers form a two-person household with a recent customer of the same branch
    (spouse, child or sibling), who becomes its primary member. Members never join a second household: the
    partner leaves the candidates and new members are never added to them."""
    recent = recent_retail.get(branch_id, [])
    if not recent or rng.random() >= 0.2:
        return None
    partner_id, partner_local, partner_latin = recent[-1]
    household = (ids("household"), bank.id, f"{partner_local} 家庭 · {partner_latin} family", partner_id)
    rows["household"].append(household)
    # The partner's row is generated already (same chunk, a few rows back): point it at the household.
    for index in range(len(rows["customer"]) - 1, -1, -1):
        row = rows["customer"][index]
        if row[0] == partner_id:
            rows["customer"][index] = row[:19] + (household[0],) + row[20:]
            break
    kind = rng.choices(["spouse", "child", "sibling"], [60, 30, 10])[0]
    rows["relationship"].append((ids("relationship"), bank.id, customer_id, partner_id, kind, None, ""))
    recent.remove((partner_id, partner_local, partner_latin))  # one relation each keeps households small
    return household[0]


def _corporate_relations(rng, rows, ids, bank, recent, customer_id):
    if not recent:
        return
    rep = recent[-1]
    rows["relationship"].append((ids("relationship"), bank.id, rep[0], customer_id, "legal_rep", None, ""))
    share = _money(rng.choice([100, 70, 60, 51, 40, 30]))
    rows["relationship"].append((ids("relationship"), bank.id, rep[0], customer_id, "shareholder", share, ""))
    if share < 100 and len(recent) > 1:
        rows["relationship"].append(
            (ids("relationship"), bank.id, recent[-2][0], customer_id, "shareholder", _money(100 - share), "")
        )


# --- writing ------------------------------------------------------------------------------------


def _allocate(cursor, kind, n):
    table = TABLES[kind][0]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    if n > 1:
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
    return first


# Upper bounds per customer, for the id blocks.
PER_CUSTOMER = {
    "customer": 1,
    "identity": 3,
    "contact": 3,
    "address": 1,
    "household": 1,
    "relationship": 3,
    "holding": 6,
    "service": 3,
    "note": 1,
    "tag": 2,
}


def _copy(cursor, kind, rows):
    if not rows:
        return
    table, columns = TABLES[kind]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _identity_rows(rows):
    for ident, bank_id, customer_id, doc_type, number, issuer, expiry, primary in rows:
        yield (
            ident,
            bank_id,
            customer_id,
            doc_type,
            pii.keyed_hash(number),
            pii.encrypt(pii.normalise_id_number(number)),
            pii.mask_id(number),
            issuer,
            expiry,
            primary,
        )


# A year of transactions per holding. The type follows the product, the direction the type
# (salary, deposits and interest credit the account, purchases and withdrawals debit it; a
# transfer goes either way); descriptions in the language of the branch's country. A dormant
# customer's accounts see only interest (not customer-initiated) in the year.
TRANSACTIONS_SQL = """
INSERT INTO customers_transaction (bank_id, customer_id, holding_id, occurred_at, amount, currency, direction, channel,
                                   txn_type, description, is_financial, customer_initiated)
SELECT h.bank_id, h.customer_id, h.id,
       %(now)s - make_interval(secs => (r %% 31536000)::int),
       round(greatest(h.balance, 1000) * ((r >> 25) %% 1000) / CASE t.kind WHEN 'interest' THEN 400000.0 ELSE 10000.0 END + 1, 2),
       h.currency,
       CASE WHEN t.kind IN ('salary', 'deposit', 'interest', 'repayment', 'refund') THEN 'C'
            WHEN t.kind = 'transfer' AND (r >> 12) %% 2 = 0 THEN 'C' ELSE 'D' END,
       CASE WHEN t.kind = 'interest' THEN 'batch'
            ELSE (ARRAY['counter','atm','online','mobile','mobile','mobile','pos','phone'])[1 + (r >> 16) %% 8] END,
       t.kind,
       CASE WHEN p.product_type = 'card' AND t.kind = 'purchase' THEN
                CASE WHEN b.country IN ('CN', 'HK') THEN (ARRAY['超市消费','网上购物','餐饮','旅行','加油'])[1 + (r >> 8) %% 5]
                     ELSE (ARRAY['Supermarket','Online shopping','Restaurant','Travel','Fuel'])[1 + (r >> 8) %% 5] END
            ELSE '' END,
       (r >> 30) %% 20 <> 0,
       t.kind NOT IN ('interest', 'salary')
FROM customers_holding h
JOIN customers_product p ON p.id = h.product_id
JOIN customers_customer c ON c.id = h.customer_id
JOIN sysadmin_branch b ON b.id = h.branch_id
CROSS JOIN LATERAL generate_series(1, CASE
        WHEN h.status = 'closed' THEN 0
        WHEN c.lifecycle_stage = 'dormant' THEN 1 + abs(hashtextextended(h.account_number, %(seed)s) %% 2)
        WHEN p.product_type = 'demand_deposit' THEN 12 + abs(hashtextextended(h.account_number, %(seed)s) %% 24)
        WHEN p.product_type = 'card' THEN 8 + abs(hashtextextended(h.account_number, %(seed)s) %% 24)
        WHEN p.product_type = 'loan' THEN 12
        ELSE 1 + abs(hashtextextended(h.account_number, %(seed)s) %% 3) END) AS g(n)
CROSS JOIN LATERAL (SELECT (hashtextextended(h.account_number || ':' || g.n, %(seed)s) & 9223372036854775807) AS r) AS x
CROSS JOIN LATERAL (SELECT CASE
        WHEN c.lifecycle_stage = 'dormant' THEN 'interest'
        WHEN p.product_type = 'card' THEN CASE WHEN (r >> 20) %% 10 = 0 THEN 'repayment' ELSE 'purchase' END
        WHEN p.product_type = 'loan' THEN 'repayment'
        WHEN p.product_type = 'demand_deposit'
            THEN (ARRAY['transfer','salary','withdrawal','deposit','bill payment','purchase','transfer','interest'])
                 [1 + (r >> 20) %% 8]
        ELSE (ARRAY['deposit','interest','transfer'])[1 + (r >> 20) %% 3] END AS kind) AS t
WHERE h.id BETWEEN %(first)s AND %(last)s
"""

# Twelve month-end balances per holding, converted at that day's rate: today's balance with a
# seeded drift, growing towards today; a declining customer's balances were higher months ago
# (the nightly job's AUM trend sees the fall).
BALANCES_SQL = """
-- The twelve month ends and their rates first: joined to an expression of the lateral day, the
-- rates table was read once per holding and month (~100 s per 10,000 customers).
WITH days AS MATERIALIZED (
    SELECT m, (date_trunc('month', %(as_of)s::date) - make_interval(months => m) - interval '1 day')::date AS day
    FROM generate_series(0, 11) AS m
), rates AS MATERIALIZED (
    SELECT fx.bank_id, fx.currency, fx.as_of, fx.rate FROM customers_fxrate fx WHERE fx.as_of IN (SELECT day FROM days)
)
INSERT INTO customers_holdingbalance (bank_id, customer_id, holding_id, business_date, balance, balance_base)
SELECT h.bank_id, h.customer_id, h.id, d.day, b.balance, round(b.balance * coalesce(fx.rate, 1), 2)
FROM customers_holding h
JOIN customers_customer c ON c.id = h.customer_id
CROSS JOIN days AS d
CROSS JOIN LATERAL (SELECT round(h.balance * (CASE WHEN c.lifecycle_stage = 'declining' THEN 1 + d.m * 0.12
                                                  ELSE 1 - d.m * 0.02 END
        + (abs(hashtextextended(h.account_number || ':' || d.m, %(seed)s) %% 200) - 100) / 1000.0), 2) AS balance) AS b
LEFT JOIN rates fx ON fx.bank_id = h.bank_id AND fx.currency = h.currency AND fx.as_of = d.day
WHERE h.id BETWEEN %(first)s AND %(last)s AND h.status <> 'closed' AND h.open_date <= d.day
"""


# --- lifecycle and rating history ---------------------------------------------------------------

# A year of the nightly job's history before yesterday, ending in each customer's stage and
# rating as loaded (the reasons in the job's own words): new customers' first activity, the
# dormant, declining and exited customers' way there, one in fifty "dormant" customers who have
# come back (yesterday's run, below, turns them active), and about a third of customers moved up
# or down a rating during the year. Keyed like the job's rows (customer, business date).
STAGE_HISTORY_SQL = """
WITH picked AS (
    SELECT c.id, c.bank_id, c.lifecycle_stage AS stage, c.created_at::date AS created,
           abs(hashtextextended(c.number, %(seed)s)) AS r
    FROM customers_customer c WHERE c.bank_id = ANY(%(banks)s)
), rows AS (
    SELECT id, bank_id, 'prospect' AS stage_from, 'active' AS stage_to, created + 21 AS day,
           'active: last customer activity 3 days ago' AS reason
    FROM picked WHERE created > %(first)s - 21 AND stage <> 'prospect'
    UNION ALL
    SELECT id, bank_id, 'active', stage, greatest(created + 22, %(last)s - (30 + r %% 300)::int),
           CASE stage WHEN 'dormant' THEN 'dormant: no customer activity for 365 days (lifecycle.dormant_after_days = 365)'
                      WHEN 'declining' THEN 'declining: AUM fell 31.5%% in 6 months (lifecycle.declining_aum_drop_percent = 30)'
                      ELSE 'exited: all holdings closed' END
    FROM picked WHERE stage IN ('dormant', 'declining', 'exited')
)
INSERT INTO customers_lifecyclechange (bank_id, customer_id, stage_from, stage_to, changed_at, business_date, reason)
SELECT bank_id, id, stage_from, stage_to, day + time '02:10' AT TIME ZONE 'UTC' + interval '1 day', day, reason
FROM rows WHERE day BETWEEN %(first)s AND %(last)s
"""
RATING_HISTORY_SQL = """
WITH picked AS (
    SELECT c.id, c.bank_id, c.tier, c.star_rating, c.aum, c.contribution,
           abs(hashtextextended(c.number || ':rating', %(seed)s)) AS r
    FROM customers_customer c WHERE c.bank_id = ANY(%(banks)s) AND c.star_rating > 0
)
INSERT INTO customers_ratingchange (bank_id, customer_id, tier_from, tier_to, stars_from, stars_to, changed_at,
                                    business_date, reason)
SELECT bank_id, id, tier, tier, greatest(star_rating - 1 + 2 * (r / 7 %% 2)::int, 0), star_rating,
       day + time '02:10' AT TIME ZONE 'UTC' + interval '1 day', day,
       format('AUM %%s, contribution %%s: tier %%s, %%s stars (rating.tier_thresholds, rating.star_thresholds)',
              aum, contribution, tier, star_rating)
FROM picked CROSS JOIN LATERAL (SELECT (%(last)s - (1 + r %% 360)::int)::date AS day) AS d
WHERE r %% 3 = 0 AND star_rating < 7
"""
COME_BACK_SQL = """
WITH back AS (
    UPDATE customers_customer c SET lifecycle_stage = 'dormant'
    WHERE c.bank_id = ANY(%(banks)s) AND c.lifecycle_stage = 'active' AND c.kind = 'retail'
      AND abs(hashtextextended(c.number || ':back', %(seed)s)) %% 50 = 0
    RETURNING c.id, c.bank_id, greatest(c.created_at::date + 22, %(when)s::date) AS day
)
INSERT INTO customers_lifecyclechange (bank_id, customer_id, stage_from, stage_to, changed_at, business_date, reason)
SELECT bank_id, id, 'active', 'dormant', day + time '02:10' AT TIME ZONE 'UTC' + interval '1 day', day,
       'dormant: no customer activity for 365 days (lifecycle.dormant_after_days = 365)'
FROM back
ON CONFLICT DO NOTHING
"""


def load_history(seed):
    """Write the lifecycle and rating history of the demo banks' customers (see above), then run
    the real nightly job (customers.lifecycle) for each bank's yesterday: it settles every stage
    and rating on the loaded data and writes the morning's "Lifecycle changes". Returns counts."""
    bank_ids = list(Bank.objects.filter(code__in=BANK_SHARE).order_by("pk").values_list("pk", flat=True))
    yesterdays = {bank_id: batch_jobs.today(bank_id) - datetime.timedelta(days=1) for bank_id in bank_ids}
    last = min(yesterdays.values()) - datetime.timedelta(days=1)
    window = {"banks": bank_ids, "seed": seed, "first": last - datetime.timedelta(days=365), "last": last}
    window["when"] = last - datetime.timedelta(days=200)
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute(STAGE_HISTORY_SQL, window)
        counts["stage_history"] = cursor.rowcount
        cursor.execute(RATING_HISTORY_SQL, window)
        counts["rating_history"] = cursor.rowcount
        cursor.execute(COME_BACK_SQL, window)
        counts["stage_history"] += cursor.rowcount
    counts["yesterday_stage_changes"] = counts["yesterday_rating_changes"] = 0
    for bank_id, yesterday in yesterdays.items():
        result = lifecycle.run_nightly(Bank.objects.get(pk=bank_id), yesterday)
        counts["yesterday_stage_changes"] += result["stage_changes"]
        counts["yesterday_rating_changes"] += result["rating_changes"]
    return counts


def existing_demo_customers(bank_codes=tuple(BANK_SHARE)):
    return Customer.objects.filter(bank__code__in=bank_codes).exists()


def load(count, seed=org_demo.DEFAULT_SEED, as_of=None, progress=None):
    """Generate and write `count` demo customers across the two demo banks; returns the counts and timings."""
    started = time.perf_counter()
    with transaction.atomic():
        context = build_context(seed, as_of)
        if existing_demo_customers():
            raise DemoCustomersError("The demo banks have customers already; use --reset to replace them.")
        counts = {kind: 0 for kind in TABLES} | {"transaction": 0, "balance": 0}
        rng = random.Random(seed)
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # the psycopg3 cursor, for COPY
            # Foreign keys are checked per statement, not queued up to the commit (millions of events).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # ... except customer -> household (the household names its primary member: a cycle), checked at commit.
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'customers_customer'::regclass "
                "AND confrelid = 'customers_household'::regclass AND contype = 'f'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'SET CONSTRAINTS "{name}" DEFERRED')
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            bases = {kind: _allocate(cursor, kind, max(count, 1) * PER_CUSTOMER[kind]) for kind in SEQUENCED}
            ids = IdAllocator(bases)
            now = datetime.datetime.combine(context.as_of, datetime.time(9, 0), tzinfo=datetime.UTC)
            for bank_code, bank_count in plan_counts(count).items():
                bank = next(b for b in context.banks if b.code == bank_code)
                for first in range(0, bank_count, CHUNK):
                    n = min(CHUNK, bank_count - first)
                    first_holding = ids.next_ids["holding"]
                    rows = generate_chunk(context, bank, first + 1, n, rng, ids)
                    rows["identity"] = _identity_rows(rows["identity"])
                    for kind in (
                        "customer",
                        "household",
                        "retail",
                        "corporate",
                        "identity",
                        "contact",
                        "address",
                        "relationship",
                        "holding",
                        "service",
                        "note",
                        "tag",
                    ):
                        rows[kind] = list(rows[kind])
                        counts[kind] += len(rows[kind])
                        _copy(cursor, kind, rows[kind])
                    window = {
                        "first": first_holding,
                        "last": ids.next_ids["holding"] - 1,
                        "seed": seed,
                        "now": now,
                        "as_of": context.as_of,
                    }
                    # Fresh statistics of the rows just copied: without them the planner takes the
                    # tables for empty and joins them by nested loops over every row.
                    cursor.execute("ANALYZE customers_customer, customers_holding, sysadmin_branch")
                    cursor.execute(TRANSACTIONS_SQL, window)
                    counts["transaction"] += cursor.rowcount
                    cursor.execute(BALANCES_SQL, window)
                    counts["balance"] += cursor.rowcount
                    if progress:
                        progress(
                            f"{bank_code}: {first + n}/{bank_count} customers, "
                            f"{counts['transaction']} transactions, {time.perf_counter() - started:.0f} s"
                        )
            analysed = time.perf_counter()
            for table, _ in TABLES.values():
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("ANALYZE customers_transaction")
            cursor.execute("ANALYZE customers_holdingbalance")
            counts["analyse_seconds"] = round(time.perf_counter() - analysed, 1)
        # COPY bypasses the audit safety net: one explicit entry per bank says what was loaded.
        for bank in context.banks:
            audit.record(
                AuditLog.Action.IMPORT,
                Bank.objects.get(pk=bank.id),
                object_repr=f"demo customers for {bank.code}",
                detail={"source": "seed_demo_customers", "seed": seed, "customers": plan_counts(count)[bank.code]},
            )
    if not connection.in_atomic_block:
        # A page that first reads a freshly copied row sets its hint bits and writes the page back:
        # at 1M customers a name-sorted list wrote 1,480 of the 1,500 pages it read. VACUUM does that
        # once, and its visibility map lets index-only scans skip the heap (not in a transaction).
        with connection.cursor() as cursor:
            for table, _ in TABLES.values():
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("VACUUM (ANALYZE) customers_customernamepair")  # written by the triggers of the customers' COPY
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def reset():
    """Delete every customer of the demo banks and what hangs off them (set-based DELETEs)."""
    bank_ids = list(Bank.objects.filter(code__in=BANK_SHARE).values_list("pk", flat=True))
    if not bank_ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer WHERE bank_id = ANY(%s)", [bank_ids])
        removed = cursor.fetchone()[0]
        by_customer = "customer_id IN (SELECT id FROM customers_customer WHERE bank_id = ANY(%s))"
        for table in ("customers_transaction", "customers_holdingbalance"):
            cursor.execute(f"DELETE FROM {table} WHERE bank_id = ANY(%s)", [bank_ids])
        cursor.execute(f"DELETE FROM customers_customertag WHERE {by_customer}", [bank_ids])
        cursor.execute("DELETE FROM customers_relationship WHERE bank_id = ANY(%s)", [bank_ids])
        cursor.execute("UPDATE customers_customer SET household_id = NULL WHERE bank_id = ANY(%s)", [bank_ids])
        cursor.execute("DELETE FROM customers_household WHERE bank_id = ANY(%s)", [bank_ids])
        # The remaining children cascade in Django only: delete them explicitly, then the customers.
        for model in Customer._meta.related_objects:
            table = model.related_model._meta.db_table
            if model.one_to_many or model.one_to_one:
                if table in ("customers_relationship", "customers_customer"):
                    continue
                cursor.execute(
                    f"DELETE FROM {table} WHERE {model.field.column} IN "
                    "(SELECT id FROM customers_customer WHERE bank_id = ANY(%s))",
                    [bank_ids],
                )
        cursor.execute("DELETE FROM customers_customer WHERE bank_id = ANY(%s)", [bank_ids])
        for model in (Product, FxRate, Tag):
            model.objects.filter(bank_id__in=bank_ids).delete()
    return removed


# --- the customers' part of `manage.py seed_demo` (ocrm.seed) ----------------------------------


def add_arguments(parser):
    parser.add_argument(
        "--customers",
        choices=list(SIZES),
        default="small",
        help="Demo customers: small ~12k (default), medium ~50k, large 1M with ~10M transactions, none.",
    )
    parser.add_argument(
        "--customers-count",
        type=int,
        default=None,
        help="Exactly this many demo customers (overrides --customers; tests use a few hundred).",
    )


def load_part(options, write):
    count = options["customers_count"] if options["customers_count"] is not None else SIZES[options["customers"]]
    if not count:
        return
    counts = load(count, seed=options["seed"], progress=write if options["verbosity"] > 1 else None)
    started = time.perf_counter()
    counts |= load_history(options["seed"])
    counts["history_seconds"] = round(time.perf_counter() - started, 1)
    write(
        f"  customers   {counts['customer']} ({counts['retail']} retail, {counts['corporate']} corporate) "
        f"in {counts['seconds']} s, their lifecycle history and yesterday's nightly run in {counts['history_seconds']} s"
    )
    for kind in (
        "identity",
        "contact",
        "holding",
        "transaction",
        "balance",
        "relationship",
        "household",
        "service",
        "stage_history",
        "rating_history",
        "yesterday_stage_changes",
        "yesterday_rating_changes",
    ):
        write(f"    {kind:<24} {counts[kind]}")


def reset_part(options, write):
    removed = reset()
    if removed:
        write(f"Removed {removed} demo customers.")


SEED_PART = SeedPart("customers", 20, load_part, reset=reset_part, add_arguments=add_arguments)
