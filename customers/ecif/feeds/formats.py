"""The documented file formats of the source-system feeds (docs/feeds.md is written from them).

A feed file is CSV (UTF-8 with or without BOM, or GB18030; comma, semicolon or tab) or XLSX
(first worksheet). Row 1 holds the column names, English keys or the Chinese names below,
in any order. Each file is stamped with its source system, feed and business date: in the
file name for the inbox (<SOURCE>_<feed>_<YYYYMMDD>.csv|xlsx), on the form for uploads; the
optional columns source_system and business_date, when present, must repeat the stamp."""

import dataclasses
import re

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from customers.master.models import ContactPoint, Customer, Holding, IdentityDocument, Transaction
from ocrm.imports.specs import Columns

# ISO 4217 active currency codes.
CURRENCIES = frozenset(
    """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split()
)


# What a type means in a cell, for the documentation and the upload page.
TYPE_HELP = {
    "text": _("text"),
    "date": _("date YYYY-MM-DD"),
    "datetime": _("date and time YYYY-MM-DD HH:MM[:SS], optional offset (+08:00); without offset: UTC"),
    "decimal": _("number, dot as decimal separator, at most 2 decimals"),
    "rate": _("number, at most 4 decimals"),
    "fx_rate": _("exchange rate: a positive number, dot as decimal separator, at most 8 decimals"),
    "choice": _("one of the listed codes"),
    "currency": _("ISO 4217 currency code (CNY, HKD, USD...)"),
    "country": _("ISO 3166 two-letter country code (CN, HK, SG...)"),
    "bool": _("true/false, yes/no, 1/0, 是/否"),
    "id_number": _("identity document number; a PRC resident ID must pass the GB 11643 check digit"),
    "phone": _("phone number; national form is read in the row's country, else write +country code"),
    "email": _("e-mail address"),
}


@dataclasses.dataclass(frozen=True)
class FeedColumn:
    key: str
    label_zh: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    choices: tuple = ()

    @property
    def help(self):
        text = str(TYPE_HELP[self.kind])
        if self.choices:
            text += ": " + ", ".join(self.choices)
        return text


def column(key, label_zh, kind="text", required=False, max_length=200, choices=()):
    return FeedColumn(key, label_zh, kind, required, max_length, tuple(choices))


STAMP_COLUMNS = (
    column("source_system", "来源系统", max_length=30),
    column("business_date", "业务日期", "date"),
)


@dataclasses.dataclass(frozen=True)
class FeedSpec(Columns):
    """One feed's columns; the header is mapped as for every uploaded file (ocrm.imports.specs.Columns)."""

    feed: str
    title: object
    key_help: object
    replace_help: object
    columns: tuple

    unknown_columns_text = gettext_noop("Unknown columns: %(columns)s. The columns of this feed are: %(known)s.")

    @property
    def data_columns(self):
        return [c for c in self.columns if c not in STAMP_COLUMNS]


def _spec(feed, title, key_help, replace_help, *columns):
    return FeedSpec(feed, title, key_help, replace_help, (*columns, *STAMP_COLUMNS))


CUSTOMER_KEY = column("customer_key", "客户源键", required=True, max_length=64)


SPECS = {
    spec.feed: spec
    for spec in (
        _spec(
            "customers",
            _("Customers"),
            _("customer_key: the customer's key in the source system"),
            _("Records are upserted by key; a corrected re-delivery overwrites the records it contains."),
            CUSTOMER_KEY,
            column("kind", "客户类型", "choice", True, choices=Customer.Kind.values),
            column("name", "客户名称", required=True),
            column("name_latin", "英文名称"),
            column("gender", "性别", "choice", choices=("M", "F")),
            column("birth_date", "出生/成立日期", "date"),
            column("nationality", "国籍", "country"),
            column("id_type", "证件类型", "choice", choices=IdentityDocument.Type.values),
            column("id_number", "证件号码", "id_number", max_length=40),
            column("registration_code", "统一社会信用代码", max_length=30),
            column("phone", "手机号码", "phone"),
            column("email", "电子邮箱", "email"),
            column("address", "地址", max_length=300),
            column("branch_code", "机构代码", max_length=30),
        ),
        _spec(
            "identities",
            _("Identity documents"),
            _("customer_key + doc_type: one document of each type per source customer"),
            _("Documents are upserted by key; a corrected re-delivery overwrites the documents it contains."),
            CUSTOMER_KEY,
            column("doc_type", "证件类型", "choice", True, choices=IdentityDocument.Type.values),
            column("id_number", "证件号码", "id_number", True, max_length=40),
            column("issuing_country", "签发国家", "country", True),
            column("expiry_date", "有效期至", "date"),
            column("is_primary", "主证件", "bool"),
        ),
        _spec(
            "contacts",
            _("Contact points"),
            _("customer_key + kind: one value of each kind per source customer"),
            _("Contacts are upserted by key; a corrected re-delivery overwrites the contacts it contains."),
            CUSTOMER_KEY,
            column("kind", "联系方式类型", "choice", True, choices=ContactPoint.Kind.values),
            column("value", "联系方式", required=True),
            column("country", "国家", "country"),
            column("is_primary", "首选", "bool"),
            column("opted_out", "拒绝营销", "bool"),
        ),
        _spec(
            "holdings",
            _("Holdings and balances"),
            _("account_number: one row per account and business date"),
            _(
                "Accounts are upserted by account number; the balances of the business date are replaced "
                "(an account missing from the corrected file loses its balance of that date)."
            ),
            column("account_number", "账号", required=True, max_length=40),
            CUSTOMER_KEY,
            column("product_code", "产品代码", required=True, max_length=30),
            column("currency", "币种", "currency", True),
            column("balance", "余额", "decimal", True),
            column("status", "账户状态", "choice", choices=Holding.Status.values),
            column("open_date", "开户日期", "date"),
            column("maturity_date", "到期日", "date"),
            column("rate", "利率%", "rate"),
            column("branch_code", "开户机构", max_length=30),
        ),
        _spec(
            "transactions",
            _("Transactions"),
            _("txn_id: the source system's transaction id"),
            _("The transactions of the source system and business date are replaced by the corrected file."),
            column("txn_id", "交易流水号", required=True, max_length=64),
            column("account_number", "账号", required=True, max_length=40),
            CUSTOMER_KEY,
            column("occurred_at", "交易时间", "datetime", True),
            column("amount", "金额", "decimal", True),
            column("currency", "币种", "currency", True),
            column("direction", "借贷方向", "choice", True, choices=Transaction.Direction.values),
            column("channel", "渠道", "choice", True, choices=Transaction.Channel.values),
            column("txn_type", "交易类型", required=True, max_length=40),
            column("description", "摘要"),
        ),
        # The rate board's posted rates (customers.fx, docs/fx.md): loaded whole or not at all.
        _spec(
            "fx_rates",
            _("Exchange rates"),
            _(
                "currency + effective_at: one posting of a currency against the bank's base currency per effective "
                "time; without effective_at, the start of the business date in the bank's head-office zone"
            ),
            _(
                "The file is posted whole or not at all: one rejected row posts none of its rates. A corrected "
                "re-delivery overwrites the postings it contains (same currency and effective time)."
            ),
            column("currency", "币种", "currency", True),
            column("middle_rate", "中间价", "fx_rate", True),
            column("buy_transfer", "现汇买入价", "fx_rate"),
            column("sell_transfer", "现汇卖出价", "fx_rate"),
            column("buy_cash", "现钞买入价", "fx_rate"),
            column("sell_cash", "现钞卖出价", "fx_rate"),
            column("effective_at", "生效时间", "datetime"),
        ),
    )
}


FEED_NAME = re.compile(
    r"^(?P<source>[A-Za-z0-9-]{1,30})_(?P<feed>[a-z]+(?:_[a-z]+)*)_(?P<date>\d{8})(?:[_.-].*)?\.(?:csv|xlsx)$",
    re.IGNORECASE,
)


SOURCE_SYSTEM = re.compile(r"^[A-Z0-9-]{1,30}$")


def get_spec(feed):
    return SPECS[feed]
