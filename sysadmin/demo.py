"""The demo organisation behind `manage.py seed_demo`: two banks with branches in five
countries and time zones, about 300 staff across all roles with names that fit each
locale, each country's public holidays for this year and next, and a reference list of
bank codes.

`build_plan(seed)` generates everything as plain data (no database), so the same seed
always gives the same plan; `load(plan)` writes a plan in one transaction; `reset()`
removes the demo banks again.
"""

import dataclasses
import datetime
import random
from collections import Counter

import holidays as holiday_calendars
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.functions import Length
from django.utils import timezone

from ocrm import seed
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.outbox.models import Category, Channel, DeniedAddress, Gateway, MessageTemplate, OutboundMessage, Purpose
from ocrm.seed import SeedError, SeedPart
from sysadmin.org.models import Bank, BankCode, Branch, Holiday, Staff
from sysadmin.roles import ADMIN_ROLES, ROLE_PERMISSIONS

DEFAULT_SEED = seed.DEFAULT_SEED
DEMO_PASSWORD = "Demo-Pass-2026"

HO, REGION, BRANCH, SUB = (Branch.Level.HEAD_OFFICE, Branch.Level.REGION, Branch.Level.BRANCH, Branch.Level.SUB_BRANCH)

# The locale of a branch's staff names follows its country.
COUNTRY_LOCALE = {"CN": "cn", "HK": "hk", "SG": "sg", "GB": "gb", "US": "us"}
COUNTRY_TIMEZONE = {
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "SG": "Asia/Singapore",
    "GB": "Europe/London",
    "US": "America/New_York",
}
# Interface language of the demo staff: Chinese in mainland China and Hong Kong.
LOCALE_LANGUAGE = {"cn": "zh-hans", "hk": "zh-hans", "sg": "en", "gb": "en", "us": "en"}

# --- banks and branch trees -------------------------------------------------------------

BANKS = [
    {
        "code": "OGB",
        "name_local": "东方环球银行",
        "name_en": "Orient Global Bank",
        "base_currency": "CNY",
        "bic": "OGBKCNSH",
        "head_office_country": "CN",
        "email_domain": "orientglobal.example",
    },
    {
        "code": "HCB",
        "name_local": "香江商業銀行",
        "name_en": "Harbour Commercial Bank",
        "base_currency": "HKD",
        "bic": "HCBKHKHH",
        "head_office_country": "HK",
        "email_domain": "harbourbank.example",
    },
]

# (code, parent code, level, country, local name, English name, address[, working week])
BRANCHES = {
    "OGB": [
        ("HO", None, HO, "CN", "总行", "Head Office", "上海市浦东新区世纪大道 88 号"),
        ("R-CN", "HO", REGION, "CN", "中国区", "Mainland China Region", "上海市浦东新区世纪大道 88 号"),
        ("SH", "R-CN", BRANCH, "CN", "上海分行", "Shanghai Branch", "上海市黄浦区中山东一路 12 号"),
        ("SH-LJZ", "SH", SUB, "CN", "陆家嘴支行", "Lujiazui Sub-branch", "上海市浦东新区陆家嘴环路 1000 号"),
        ("SH-XJH", "SH", SUB, "CN", "徐家汇支行", "Xujiahui Sub-branch", "上海市徐汇区虹桥路 1 号"),
        ("SH-JA", "SH", SUB, "CN", "静安支行", "Jing'an Sub-branch", "上海市静安区南京西路 1266 号"),
        ("BJ", "R-CN", BRANCH, "CN", "北京分行", "Beijing Branch", "北京市西城区金融大街 17 号"),
        ("BJ-CY", "BJ", SUB, "CN", "朝阳支行", "Chaoyang Sub-branch", "北京市朝阳区建国门外大街 1 号"),
        ("SZ", "R-CN", BRANCH, "CN", "深圳分行", "Shenzhen Branch", "深圳市福田区深南大道 7088 号"),
        ("SZ-FT", "SZ", SUB, "CN", "福田支行", "Futian Sub-branch", "深圳市福田区福华三路 88 号"),
        ("GZ", "R-CN", BRANCH, "CN", "广州分行", "Guangzhou Branch", "广州市天河区珠江新城华夏路 10 号"),
        ("HZ", "R-CN", BRANCH, "CN", "杭州分行", "Hangzhou Branch", "杭州市上城区钱江路 1366 号"),
        ("R-HK", "HO", REGION, "HK", "香港区", "Hong Kong Region", "香港中環皇后大道中 28 號"),
        ("HK", "R-HK", BRANCH, "HK", "香港分行", "Hong Kong Branch", "香港中環皇后大道中 28 號"),
        ("HK-CEN", "HK", SUB, "HK", "中環支行", "Central Sub-branch", "香港中環德輔道中 68 號"),
        ("HK-TST", "HK", SUB, "HK", "尖沙咀支行", "Tsim Sha Tsui Sub-branch", "九龍尖沙咀彌敦道 132 號"),
        ("R-SG", "HO", REGION, "SG", "新加坡区", "Singapore Region", "8 Marina View, Singapore 018960"),
        ("SG", "R-SG", BRANCH, "SG", "新加坡分行", "Singapore Branch", "8 Marina View, Singapore 018960"),
        ("SG-RP", "SG", SUB, "SG", "莱佛士坊支行", "Raffles Place Sub-branch", "1 Raffles Place, Singapore 048616"),
        ("R-GB", "HO", REGION, "GB", "英国区", "United Kingdom Region", "1 Lothbury, London EC2R 7DB"),
        ("LDN", "R-GB", BRANCH, "GB", "伦敦分行", "London Branch", "1 Lothbury, London EC2R 7DB"),
        ("LDN-CW", "LDN", SUB, "GB", "金丝雀码头支行", "Canary Wharf Sub-branch", "25 Canada Square, London E14 5LQ"),
        ("R-US", "HO", REGION, "US", "美国区", "United States Region", "1 Liberty Plaza, New York, NY 10006"),
        ("NY", "R-US", BRANCH, "US", "纽约分行", "New York Branch", "1 Liberty Plaza, New York, NY 10006"),
    ],
    "HCB": [
        ("HO", None, HO, "HK", "總行", "Head Office", "香港中環干諾道中 50 號"),
        ("R-HK", "HO", REGION, "HK", "香港區", "Hong Kong Region", "香港中環干諾道中 50 號"),
        ("HK-CEN", "R-HK", BRANCH, "HK", "中環分行", "Central Branch", "香港中環干諾道中 50 號"),
        ("KLN", "R-HK", BRANCH, "HK", "九龍分行", "Kowloon Branch", "九龍油麻地彌敦道 480 號"),
        # Busy retail branches in Hong Kong open on Saturday mornings.
        ("KLN-MK", "KLN", SUB, "HK", "旺角支行", "Mong Kok Sub-branch", "九龍旺角彌敦道 688 號", "123456"),
        ("R-CN", "HO", REGION, "CN", "中國內地區", "Mainland China Region", "深圳市福田区益田路 6001 号"),
        ("SZ", "R-CN", BRANCH, "CN", "深圳分行", "Shenzhen Branch", "深圳市福田区益田路 6001 号"),
        ("SH", "R-CN", BRANCH, "CN", "上海分行", "Shanghai Branch", "上海市浦东新区银城中路 200 号"),
        ("R-SG", "HO", REGION, "SG", "新加坡區", "Singapore Region", "50 Collyer Quay, Singapore 049321"),
        ("SG", "R-SG", BRANCH, "SG", "新加坡分行", "Singapore Branch", "50 Collyer Quay, Singapore 049321"),
    ],
}

# --- staffing per branch level: role -> (fewest, most) ----------------------------------

STAFFING = {
    ("OGB", HO): {
        "system_admin": (2, 2),
        "auditor": (3, 3),
        "product_manager": (3, 3),
        "marketing_manager": (3, 3),
        "crossborder_officer": (3, 3),
    },
    ("HCB", HO): {
        "system_admin": (2, 2),
        "auditor": (2, 2),
        "product_manager": (2, 2),
        "marketing_manager": (2, 2),
        "crossborder_officer": (2, 2),
    },
    # The head of a region supervises its whole subtree; regions abroad keep a cross-border officer.
    REGION: {"branch_supervisor": (1, 1)},
    "region_abroad": {"crossborder_officer": (1, 1)},
    # A customer manager looks after a few hundred customers: a branch has a handful of them.
    BRANCH: {"branch_supervisor": (1, 1), "customer_manager": (3, 4), "teller": (4, 6)},
    SUB: {"branch_supervisor": (1, 1), "customer_manager": (1, 2), "teller": (2, 3)},
}

# The fixed demo log-ins: (bank, branch code, role) -> usernames for the first staff of that slot.
FIXED_LOGINS = {
    ("OGB", "HO", "system_admin"): ["admin"],
    ("OGB", "HO", "auditor"): ["auditor"],
    ("OGB", "HO", "product_manager"): ["pm1"],
    ("OGB", "HO", "marketing_manager"): ["mm1"],
    ("OGB", "HO", "crossborder_officer"): ["xb1"],
    ("OGB", "SH", "branch_supervisor"): ["sup.sh"],
    ("OGB", "SH", "customer_manager"): ["mgr.sh1", "mgr.sh2"],
    ("OGB", "SH", "teller"): ["teller.sh1"],
    ("OGB", "LDN", "customer_manager"): ["mgr.ldn1"],
    ("OGB", "NY", "customer_manager"): ["mgr.ny1"],
    ("HCB", "HO", "system_admin"): ["hcb.admin"],
    ("HCB", "HK-CEN", "customer_manager"): ["hcb.mgr1"],
}

# What `seed_demo` prints: (username, description).
DEMO_LOGINS = [
    ("admin", "system administrator of Orient Global Bank (OGB), Django admin at /admin/; is_staff, not a superuser"),
    ("auditor", "auditor, OGB head office (Shanghai)"),
    ("pm1", "product manager, OGB head office"),
    ("mm1", "marketing manager, OGB head office"),
    ("xb1", "cross-border officer, OGB head office"),
    ("sup.sh", "branch supervisor, OGB Shanghai Branch"),
    ("mgr.sh1", "customer manager, OGB Shanghai Branch"),
    ("teller.sh1", "teller, OGB Shanghai Branch"),
    ("mgr.ldn1", "customer manager, OGB London Branch (Europe/London)"),
    ("mgr.ny1", "customer manager, OGB New York Branch (America/New_York)"),
    ("hcb.admin", "system administrator of Harbour Commercial Bank (HCB), Hong Kong"),
    ("hcb.mgr1", "customer manager, HCB Central Branch, Hong Kong"),
]

# --- names ------------------------------------------------------------------------------------
# Each entry pairs the name as written locally with its romanisation.

CN_SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("韩", "Han"),
    ("冯", "Feng"),
    ("邓", "Deng"),
]
CN_GIVEN = {
    "m": [
        ("伟", "Wei"),
        ("强", "Qiang"),
        ("磊", "Lei"),
        ("军", "Jun"),
        ("勇", "Yong"),
        ("杰", "Jie"),
        ("涛", "Tao"),
        ("浩然", "Haoran"),
        ("子轩", "Zixuan"),
        ("宇航", "Yuhang"),
        ("志强", "Zhiqiang"),
        ("建华", "Jianhua"),
        ("俊杰", "Junjie"),
        ("文博", "Wenbo"),
        ("天宇", "Tianyu"),
        ("嘉豪", "Jiahao"),
        ("晨阳", "Chenyang"),
    ],
    "f": [
        ("芳", "Fang"),
        ("娜", "Na"),
        ("敏", "Min"),
        ("静", "Jing"),
        ("婷", "Ting"),
        ("秀英", "Xiuying"),
        ("桂英", "Guiying"),
        ("欣怡", "Xinyi"),
        ("梓涵", "Zihan"),
        ("雨桐", "Yutong"),
        ("思琪", "Siqi"),
        ("佳怡", "Jiayi"),
        ("晓燕", "Xiaoyan"),
        ("丽娟", "Lijuan"),
        ("慧敏", "Huimin"),
        ("诗涵", "Shihan"),
        ("婉清", "Wanqing"),
    ],
}
HK_SURNAMES = [
    ("陳", "Chan"),
    ("李", "Lee"),
    ("張", "Cheung"),
    ("黃", "Wong"),
    ("王", "Wong"),
    ("林", "Lam"),
    ("劉", "Lau"),
    ("吳", "Ng"),
    ("梁", "Leung"),
    ("何", "Ho"),
    ("郭", "Kwok"),
    ("鄭", "Cheng"),
    ("謝", "Tse"),
    ("羅", "Law"),
    ("馬", "Ma"),
    ("葉", "Yip"),
    ("周", "Chow"),
    ("蔡", "Choi"),
    ("曾", "Tsang"),
    ("麥", "Mak"),
    ("袁", "Yuen"),
]
HK_GIVEN = {
    "m": [
        ("家明", "Ka Ming"),
        ("志偉", "Chi Wai"),
        ("偉強", "Wai Keung"),
        ("國華", "Kwok Wah"),
        ("子健", "Tsz Kin"),
        ("俊傑", "Chun Kit"),
        ("浩賢", "Ho Yin"),
        ("家豪", "Ka Ho"),
        ("建國", "Kin Kwok"),
        ("振邦", "Chun Bong"),
    ],
    "f": [
        ("嘉欣", "Ka Yan"),
        ("詠詩", "Wing Sze"),
        ("美玲", "Mei Ling"),
        ("慧敏", "Wai Man"),
        ("凱琳", "Hoi Lam"),
        ("曉彤", "Hiu Tung"),
        ("佩儀", "Pui Yee"),
        ("穎欣", "Wing Yan"),
        ("淑儀", "Suk Yee"),
        ("綺雯", "Yee Man"),
    ],
}
# Many people in Hong Kong and Singapore also go by an English given name.
ASIAN_ENGLISH_NAMES = {
    "m": ["Peter", "Kelvin", "Jason", "Eric", "Vincent", "Raymond", "Alan", "Tommy", "Gary", "Ivan"],
    "f": ["Mandy", "Cecilia", "Winnie", "Karen", "Joyce", "Vivian", "Fiona", "Queenie", "Crystal", "Janice"],
}
SG_CHINESE_SURNAMES = [
    ("陈", "Tan"),
    ("林", "Lim"),
    ("李", "Lee"),
    ("黄", "Ng"),
    ("王", "Ong"),
    ("吴", "Goh"),
    ("张", "Teo"),
    ("郑", "Tay"),
    ("蔡", "Chua"),
    ("许", "Koh"),
    ("刘", "Low"),
    ("杨", "Yeo"),
    ("梁", "Leong"),
    ("邱", "Khoo"),
    ("洪", "Ang"),
    ("何", "Ho"),
]
SG_CHINESE_GIVEN = {
    "m": [
        ("伟明", "Wei Ming"),
        ("志豪", "Zhi Hao"),
        ("俊杰", "Jun Jie"),
        ("建华", "Kian Hwa"),
        ("家俊", "Jia Jun"),
        ("明辉", "Beng Hui"),
        ("国荣", "Kok Wing"),
    ],
    "f": [
        ("美玲", "Mei Ling"),
        ("慧敏", "Hui Min"),
        ("佳慧", "Jia Hui"),
        ("秀兰", "Siew Lan"),
        ("丽华", "Li Hua"),
        ("淑芬", "Shu Fen"),
        ("玉珠", "Geok Choo"),
    ],
}
MALAY_GIVEN = {
    "m": [
        "Muhammad Faizal",
        "Ahmad Firdaus",
        "Mohamed Hafiz",
        "Muhammad Irfan",
        "Hakim",
        "Azman",
        "Ridzuan",
        "Syafiq",
        "Khairul Anwar",
        "Zulkifli",
    ],
    "f": [
        "Nurul Aisyah",
        "Siti Nurhaliza",
        "Nur Syafiqah",
        "Farah Nadia",
        "Aishah",
        "Nur Izzati",
        "Siti Mariam",
        "Hidayah",
        "Norhayati",
        "Farhana",
    ],
}
MALAY_FATHERS = [
    "Ismail",
    "Rahman",
    "Abdullah",
    "Hassan",
    "Osman",
    "Yusof",
    "Ibrahim",
    "Salleh",
    "Rahim",
    "Hamid",
    "Jamal",
    "Kassim",
]
INDIAN_GIVEN = {
    "m": ["Arun Kumar", "Rajesh", "Suresh", "Karthik", "Vijay", "Prakash", "Ganesh", "Ravi", "Dinesh", "Senthil"],
    "f": ["Priya", "Kavitha", "Lakshmi", "Deepa", "Anitha", "Meena", "Shalini", "Revathi", "Divya", "Sangeetha"],
}
INDIAN_FATHERS = [
    "Ramasamy",
    "Subramaniam",
    "Krishnan",
    "Muthu",
    "Rajendran",
    "Nair",
    "Pillai",
    "Govindasamy",
    "Balakrishnan",
    "Perumal",
]
GB_GIVEN = {
    "m": ["Oliver", "George", "Harry", "Jack", "James", "William", "Thomas", "Charlie", "Samuel", "Daniel"],
    "f": ["Olivia", "Amelia", "Isla", "Emily", "Sophie", "Charlotte", "Grace", "Lucy", "Hannah", "Eleanor"],
}
GB_SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Patel",
    "Khan",
    "Hughes",
    "Clarke",
]
US_GIVEN = {
    "m": ["Michael", "David", "John", "Robert", "Christopher", "Daniel", "Matthew", "Anthony", "Kevin", "Brian"],
    "f": ["Jennifer", "Jessica", "Ashley", "Emily", "Sarah", "Michelle", "Amanda", "Melissa", "Nicole", "Laura"],
}
US_SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Lee",
    "Nguyen",
    "Cohen",
    "Kim",
]

# --- holidays and bank codes ---------------------------------------------------------------

# Country -> (keyword arguments for the holidays package, language of the local name or None).
HOLIDAY_CALENDARS = {
    "CN": ({}, "zh_CN"),
    "HK": ({}, "zh_HK"),
    "SG": ({}, None),
    "GB": ({"subdiv": "ENG"}, None),  # London: the bank holidays of England and Wales
    "US": ({}, None),  # federal holidays, the days the Federal Reserve is closed
}

# Counterparty banks (real, public clearing codes and BICs) for each country.
COUNTERPARTY_BANKS = {
    "CN": [
        ("CN102", "中国工商银行 Industrial and Commercial Bank of China", "ICBKCNBJ"),
        ("CN103", "中国农业银行 Agricultural Bank of China", "ABOCCNBJ"),
        ("CN104", "中国银行 Bank of China", "BKCHCNBJ"),
        ("CN105", "中国建设银行 China Construction Bank", "PCBCCNBJ"),
        ("CN301", "交通银行 Bank of Communications", "COMMCNSH"),
        ("CN308", "招商银行 China Merchants Bank", "CMBCCNBS"),
    ],
    "HK": [
        ("HK003", "Standard Chartered Bank (Hong Kong)", "SCBLHKHH"),
        ("HK004", "The Hongkong and Shanghai Banking Corporation", "HSBCHKHH"),
        ("HK012", "Bank of China (Hong Kong)", "BKCHHKHH"),
        ("HK024", "Hang Seng Bank", "HASEHKHH"),
    ],
    "SG": [
        ("SG7171", "DBS Bank", "DBSSSGSG"),
        ("SG7339", "Oversea-Chinese Banking Corporation", "OCBCSGSG"),
        ("SG7375", "United Overseas Bank", "UOVBSGSG"),
        ("SG7144", "Standard Chartered Bank (Singapore)", "SCBLSGSG"),
    ],
    "GB": [
        ("GB200000", "Barclays Bank", "BARCGB22"),
        ("GB300000", "Lloyds Bank", "LOYDGB2L"),
        ("GB400000", "HSBC UK Bank", "HBUKGB4B"),
        ("GB600001", "National Westminster Bank", "NWBKGB2L"),
    ],
    "US": [
        ("US021000021", "JPMorgan Chase Bank", "CHASUS33"),
        ("US021000089", "Citibank", "CITIUS33"),
        ("US026009593", "Bank of America", "BOFAUS3N"),
        ("US121000248", "Wells Fargo Bank", "WFBIUS6S"),
    ],
}


# --- the plan --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BranchSpec:
    bank: str
    code: str
    parent: str | None
    level: str
    country: str
    timezone: str
    name_local: str
    name_en: str
    address: str
    working_week: str = "12345"


@dataclasses.dataclass(frozen=True)
class StaffSpec:
    bank: str
    branch: str
    role: str
    username: str
    employee_no: str
    first_name: str
    last_name: str
    name_local: str
    email: str
    phone: str
    language: str


@dataclasses.dataclass(frozen=True)
class HolidaySpec:
    bank: str
    country: str
    date: datetime.date
    name: str


@dataclasses.dataclass(frozen=True)
class BankCodeSpec:
    bank: str
    code: str
    name: str
    bic: str
    country: str


@dataclasses.dataclass
class DemoPlan:
    seed: int
    banks: list
    branches: list
    staff: list
    holidays: list
    bank_codes: list

    @property
    def demo_bank_codes(self):
        return [b["code"] for b in self.banks]


class DemoDataError(SeedError):
    """The demo data cannot be loaded or removed; the message says why."""


def build_plan(seed=DEFAULT_SEED, years=None):
    """The whole demo organisation as plain data. Same seed (and years) -> same plan."""
    rng = random.Random(seed)
    if years is None:
        this_year = timezone.localdate().year
        years = (this_year, this_year + 1)
    branches = [
        BranchSpec(bank, code, parent, level, country, COUNTRY_TIMEZONE[country], local, english, address, *rest)
        for bank, rows in BRANCHES.items()
        for code, parent, level, country, local, english, address, *rest in rows
    ]
    staff = _plan_staff(rng, branches)
    return DemoPlan(
        seed=seed,
        banks=[dict(b) for b in BANKS],
        branches=branches,
        staff=staff,
        holidays=_plan_holidays(branches, years),
        bank_codes=_plan_bank_codes(branches),
    )


def _plan_staff(rng, branches):
    staff, taken = [], {u for names in FIXED_LOGINS.values() for u in names}
    employee_counter = Counter()
    domains = {b["code"]: b["email_domain"] for b in BANKS}
    for branch in branches:
        if branch.level == HO:
            staffing = STAFFING[(branch.bank, HO)]
        elif branch.level == REGION:
            home = next(b["head_office_country"] for b in BANKS if b["code"] == branch.bank)
            staffing = {**STAFFING[REGION], **(STAFFING["region_abroad"] if branch.country != home else {})}
        else:
            staffing = STAFFING[branch.level]
        locale = COUNTRY_LOCALE[branch.country]
        for role, (fewest, most) in staffing.items():
            fixed = list(FIXED_LOGINS.get((branch.bank, branch.code, role), []))
            for _ in range(rng.randint(fewest, most)):
                person = _person(rng, locale)
                username = fixed.pop(0) if fixed else _unique_username(person["username"], taken)
                employee_counter[branch.bank] += 1
                staff.append(
                    StaffSpec(
                        bank=branch.bank,
                        branch=branch.code,
                        role=role,
                        username=username,
                        employee_no=f"{branch.bank}{employee_counter[branch.bank]:05d}",
                        first_name=person["first_name"],
                        last_name=person["last_name"],
                        name_local=person["name_local"],
                        email=f"{username}@{domains[branch.bank]}",
                        phone=_phone(rng, branch.country),
                        language=LOCALE_LANGUAGE[locale],
                    )
                )
            if fixed:
                raise DemoDataError(f"Staffing of {branch.bank} {branch.code} {role} leaves no slot for {fixed}.")
    return staff


def _unique_username(base, taken):
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base}{n}"
    taken.add(username)
    return username


def _slug(text):
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _person(rng, locale):
    """A plausible name for the locale: first/last name (romanised), local form, username stem."""
    gender = rng.choice("mf")
    if locale == "cn":
        (s_local, s_rom), (g_local, g_rom) = rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN[gender])
        return {
            "first_name": g_rom,
            "last_name": s_rom,
            "name_local": s_local + g_local,
            "username": f"{_slug(s_rom)}.{_slug(g_rom)}",
        }
    if locale == "hk" or (locale == "sg" and rng.random() < 0.6):
        surnames, given_names = (HK_SURNAMES, HK_GIVEN) if locale == "hk" else (SG_CHINESE_SURNAMES, SG_CHINESE_GIVEN)
        (s_local, s_rom), (g_local, g_rom) = rng.choice(surnames), rng.choice(given_names[gender])
        english = rng.choice(ASIAN_ENGLISH_NAMES[gender]) if rng.random() < 0.5 else ""
        first = english or g_rom
        return {
            "first_name": first,
            "last_name": s_rom,
            "name_local": s_local + g_local,
            "username": f"{_slug(first)}.{_slug(s_rom)}",
        }
    if locale == "sg":
        if rng.random() < 0.5:  # Malay: given name, bin/binte, father's name; known by the last given name
            given, father = rng.choice(MALAY_GIVEN[gender]), rng.choice(MALAY_FATHERS)
            last, known_as = f"{'bin' if gender == 'm' else 'binte'} {father}", given.split()[-1]
        else:  # Indian (Tamil): given name, s/o or d/o, father's name
            given, father = rng.choice(INDIAN_GIVEN[gender]), rng.choice(INDIAN_FATHERS)
            last, known_as = f"{'s/o' if gender == 'm' else 'd/o'} {father}", given.split()[0]
        return {
            "first_name": given,
            "last_name": last,
            "name_local": f"{given} {last}",
            "username": f"{_slug(known_as)}.{_slug(father)}",
        }
    given_names, surnames = (GB_GIVEN, GB_SURNAMES) if locale == "gb" else (US_GIVEN, US_SURNAMES)
    given, surname = rng.choice(given_names[gender]), rng.choice(surnames)
    return {
        "first_name": given,
        "last_name": surname,
        "name_local": f"{given} {surname}",
        "username": f"{_slug(given)}.{_slug(surname)}",
    }


def _phone(rng, country):
    """A mobile number in the country's format, from ranges that are not assigned to real people
    where the country has them (UK Ofcom drama numbers, US 555-01xx)."""
    if country == "CN":
        return f"+86 13{rng.randint(0, 9)} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"
    if country == "HK":
        return f"+852 {rng.choice('569')}{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"
    if country == "SG":
        return f"+65 {rng.choice('89')}{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"
    if country == "GB":
        return f"+44 7700 900{rng.randint(0, 999):03d}"
    return f"+1 212-555-01{rng.randint(0, 99):02d}"


def _plan_holidays(branches, years):
    plan = []
    countries_by_bank = {}
    for branch in branches:
        countries_by_bank.setdefault(branch.bank, set()).add(branch.country)
    for bank, countries in countries_by_bank.items():
        for country in sorted(countries):
            kwargs, local_language = HOLIDAY_CALENDARS[country]
            english = holiday_calendars.country_holidays(country, years=list(years), language="en_US", **kwargs)
            local = (
                holiday_calendars.country_holidays(country, years=list(years), language=local_language, **kwargs)
                if local_language
                else None
            )
            for day in sorted(english):
                name = english[day] if local is None else f"{local[day]} · {english[day]}"
                plan.append(HolidaySpec(bank, country, day, name[:200]))
    return plan


def _plan_bank_codes(branches):
    plan = []
    countries_by_bank = {}
    for branch in branches:
        countries_by_bank.setdefault(branch.bank, set()).add(branch.country)
    for bank in BANKS:
        for country in sorted(countries_by_bank[bank["code"]]):
            plan += [BankCodeSpec(bank["code"], code, name, bic, country) for code, name, bic in COUNTERPARTY_BANKS[country]]
        # Each demo bank lists the other one too: the two settle with each other.
        for other in BANKS:
            if other is not bank:
                plan.append(
                    BankCodeSpec(
                        bank["code"],
                        f"DEMO-{other['code']}",
                        f"{other['name_local']} {other['name_en']}",
                        other["bic"],
                        other["head_office_country"],
                    )
                )
    return plan


# --- writing and removing ---------------------------------------------------------------


@transaction.atomic
def load(plan, password=DEMO_PASSWORD):
    """Write the plan. Refuses (and writes nothing) when a demo bank code or username is taken."""
    existing_banks = sorted(Bank.objects.filter(code__in=plan.demo_bank_codes).values_list("code", flat=True))
    if existing_banks:
        raise DemoDataError(f"Demo bank(s) {', '.join(existing_banks)} exist already; use --reset to replace them.")
    clashes = sorted(Staff.objects.filter(username__in=[s.username for s in plan.staff]).values_list("username", flat=True))
    if clashes:
        raise DemoDataError(f"Usernames of the demo staff are taken already: {', '.join(clashes[:10])}.")
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
    missing = set(ROLE_PERMISSIONS) - set(groups)
    if missing:
        raise DemoDataError(f"Role groups missing (run migrate first): {', '.join(sorted(missing))}.")

    banks = {}
    for spec in plan.banks:
        bank = Bank(**{k: v for k, v in spec.items() if k != "email_domain"})
        bank.full_clean()
        bank.save()
        banks[bank.code] = bank

    # Parent first through save(): the materialised path needs the parent's.
    branches = {}
    for spec in plan.branches:
        branch = Branch(
            bank=banks[spec.bank],
            code=spec.code,
            parent=branches.get((spec.bank, spec.parent)),
            level=spec.level,
            country=spec.country,
            timezone=spec.timezone,
            name_local=spec.name_local,
            name_en=spec.name_en,
            address=spec.address,
            working_week=spec.working_week,
        )
        branch.full_clean(exclude=["path"])
        branch.save()
        branches[(spec.bank, spec.code)] = branch

    Holiday.objects.bulk_create(Holiday(bank=banks[h.bank], country=h.country, date=h.date, name=h.name) for h in plan.holidays)
    BankCode.objects.bulk_create(
        BankCode(bank=banks[c.bank], code=c.code, name=c.name, bic=c.bic, country=c.country) for c in plan.bank_codes
    )

    password_hash = make_password(password)  # hashing once keeps 300 users fast to create
    now = timezone.now()
    created = Staff.objects.bulk_create(
        Staff(
            username=s.username,
            password=password_hash,
            first_name=s.first_name,
            last_name=s.last_name,
            name_local=s.name_local,
            email=s.email,
            employee_no=s.employee_no,
            bank=banks[s.bank],
            branch=branches[(s.bank, s.branch)],
            language=s.language,
            phone=s.phone,
            is_staff=s.role in ADMIN_ROLES,
            must_change_password=False,
            password_changed_at=now,
            date_joined=now,
        )
        for s in plan.staff
    )
    membership = Staff.groups.through
    membership.objects.bulk_create(
        membership(staff_id=user.pk, group_id=groups[spec.role].pk) for user, spec in zip(created, plan.staff, strict=True)
    )

    counts = summarize(plan)
    # bulk_create bypasses the audit safety net: one explicit entry per bank says what was loaded.
    for code, bank in banks.items():
        audit.record(
            AuditLog.Action.IMPORT,
            bank,
            object_repr=f"demo data for {bank}",
            detail={"source": "seed_demo", "seed": plan.seed, "counts": summarize(plan, bank=code)},
        )
    return counts


def summarize(plan, bank=None):
    def mine(rows):
        return [r for r in rows if bank is None or r.bank == bank]

    branches = mine(plan.branches)
    staff = mine(plan.staff)
    return {
        "banks": 1 if bank else len(plan.banks),
        "branches": len(branches),
        "countries": len({b.country for b in branches}),
        "time_zones": len({b.timezone for b in branches}),
        "staff": len(staff),
        "staff_by_role": dict(sorted(Counter(s.role for s in staff).items())),
        "holidays": len(mine(plan.holidays)),
        "bank_codes": len(mine(plan.bank_codes)),
    }


@transaction.atomic
def reset(bank_codes):
    """Delete the banks with these codes and everything of theirs that seed_demo created.
    Refuses (and deletes nothing) when other data still refers to them."""
    banks = list(Bank.objects.filter(code__in=bank_codes))
    if not banks:
        return 0
    try:
        Staff.objects.filter(bank__in=banks).delete()
        # Deepest first: a branch protects its parent.
        for branch in Branch.objects.filter(bank__in=banks).order_by(Length("path").desc(), "-pk"):
            branch.delete()
        for bank in banks:
            bank.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or ()
        counts = Counter(obj._meta.label for obj in blockers)
        detail = ", ".join(f"{n} {label}" for label, n in counts.most_common(5))
        raise DemoDataError(f"The demo banks still have data that must be kept ({detail}); nothing was deleted.") from exc
    return len(banks)


# --- the organisation's part of `manage.py seed_demo` (ocrm.seed) ------------------------------


def load_part(options, write):
    plan = build_plan(options["seed"])
    counts = load(plan)
    write(f"Demo data loaded (seed {plan.seed}):")
    write(f"  banks       {counts['banks']}")
    write(f"  branches    {counts['branches']} in {counts['countries']} countries, {counts['time_zones']} time zones")
    write(f"  staff       {counts['staff']}")
    for role, n in counts["staff_by_role"].items():
        write(f"    {role:<20} {n}")
    write(f"  holidays    {counts['holidays']}")
    write(f"  bank codes  {counts['bank_codes']}")
    write("")
    write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
    width = max(len(username) for username, _ in DEMO_LOGINS)
    for username, description in DEMO_LOGINS:
        write(f"  {username:<{width}}  {description}")
    write(
        "Every other demo user has the same password; their usernames follow their names "
        "(e.g. zhang.wei, peter.chan, james.smith)."
    )


def reset_part(options, write):
    removed = reset(build_plan(options["seed"]).demo_bank_codes)
    if removed:
        write(f"Removed {removed} demo bank(s) and their branches, staff, holidays and bank codes.")


SEED_PART = SeedPart("organisation", 10, load_part, reset=reset_part, exists=lambda: Bank.objects.exists())


# --- the outbox's part ---------------------------------------------------------------------
# The outbox's part of the demo bank: each demo bank gets a console gateway for SMS and one for
# e-mail (ocrm.outbox.gateways.ConsoleGateway: each message a JSON line in
# var/outbox-console.jsonl and the log, no real gateway needed for `make run`) and a few message
# templates in Chinese and English (a service notice, a one-time code sent as transactional, a
# marketing message, an e-mail notice), so the SMS pages and the dispatch job have something real.


OUTBOX_BANK_CODES = ["OGB", "HCB"]

OUTBOX_GATEWAYS = [
    {"name": "console-sms", "channel": Channel.SMS, "price_per_segment": "0.0500"},
    {"name": "console-email", "channel": Channel.EMAIL, "price_per_segment": "0"},
]

OUTBOX_TEMPLATES = [
    {
        "code": "service-notice",
        "name": "Service notice",
        "channel": Channel.SMS,
        "purpose": Purpose.SERVICE,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {"body": "{{ name }}您好,您的业务已办理完成,如有疑问请联系您的客户经理。"},
            "en": {
                "body": (
                    "Dear {{ name }}, your request has been completed."
                    " Please contact your relationship manager with any questions."
                )
            },
        },
    },
    {
        "code": "one-time-code",
        "name": "One-time code",
        "channel": Channel.SMS,
        "purpose": Purpose.SERVICE,
        "category": Category.TRANSACTIONAL,
        "variables": ["code"],
        "texts": {
            "zh-hans": {"body": "您的验证码是 {{ code }},5分钟内有效,请勿告诉他人。"},
            "en": {"body": "Your one-time code is {{ code }}. It is valid for 5 minutes; do not share it."},
        },
    },
    {
        "code": "savings-offer",
        "name": "New savings product",
        "channel": Channel.SMS,
        "purpose": Purpose.MARKETING,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {"body": "{{ name }}您好,新一期理财产品现已发售,详情请咨询网点。回复STOP退订"},
            "en": {
                "body": ("Dear {{ name }}, our new savings product is now available. Ask at your branch. Reply STOP to opt out")
            },
        },
    },
    {
        "code": "service-notice-email",
        "name": "Service notice (e-mail)",
        "channel": Channel.EMAIL,
        "purpose": Purpose.SERVICE,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {
                "subject": "业务办理完成通知",
                "body": "{{ name }}您好:\n\n您的业务已办理完成。如有疑问请联系您的客户经理。",
            },
            "en": {
                "subject": "Your request is complete",
                "body": "Dear {{ name }},\n\nYour request has been completed."
                " Please contact your relationship manager with any questions.",
            },
        },
    },
]


def _outbox_banks():
    return Bank.objects.filter(code__in=OUTBOX_BANK_CODES)


def load_outbox_part(options, write):
    gateways = templates = 0
    for bank in _outbox_banks():
        for spec in OUTBOX_GATEWAYS:
            _row, created = Gateway.objects.get_or_create(
                bank=bank, name=spec["name"], defaults={**spec, "kind": Gateway.Kind.CONSOLE, "rate_per_second": 50}
            )
            gateways += created
        for spec in OUTBOX_TEMPLATES:
            _row, created = MessageTemplate.objects.get_or_create(bank=bank, code=spec["code"], defaults=spec)
            templates += created
    if gateways or templates:
        write(f"  outbox      {gateways} console gateways, {templates} message templates")


def reset_outbox_part(options, write):
    bank_ids = list(_outbox_banks().values_list("pk", flat=True))
    OutboundMessage.objects.filter(bank_id__in=bank_ids).delete()
    DeniedAddress.objects.filter(bank_id__in=bank_ids).delete()
    Gateway.objects.filter(bank_id__in=bank_ids).delete()
    MessageTemplate.objects.filter(bank_id__in=bank_ids).delete()


# After the organisation (its banks), before the customers: reset runs in the reverse order, so
# the customers' messages and these rows go before the banks.
OUTBOX_SEED_PART = SeedPart("outbox", 15, load_outbox_part, reset=reset_outbox_part)
