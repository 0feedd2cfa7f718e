"""A non-financial transaction a channel carried out for the customer (a password reset, a card
activation, a statement request …): it lands in the customer's transactions (customers Transaction,
is_financial false, amount 0, on the account it concerns) like the core systems' own, so the 360
page and the activity measures see it. Idempotent through the kernel's Idempotency-Key; the
channel's own reference, when given, is the row's source key and is refused when used twice. The row
is written by services.record_non_financial_transaction; this module parses and answers."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ocrm.errors import Refused
from workbench.channelapi import services
from workbench.channelapi.views import ChannelView

CLOCK_SKEW = datetime.timedelta(minutes=5)
# The kinds of non-financial transaction a channel reports (txn_type of the row).
TYPES = (
    "password_reset",
    "card_activation",
    "card_loss_report",
    "statement_request",
    "contact_update",
    "address_change",
    "limit_change",
    "other",
)


class TransactionRequest(serializers.Serializer):
    account_number = serializers.CharField(max_length=40, help_text="The customer's account it concerns.")
    type = serializers.ChoiceField(choices=TYPES)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False)
    reference = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="The channel's own transaction id."
    )

    def validate_occurred_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("The transaction cannot lie in the future.")
        return value


class TransactionResponse(serializers.Serializer):
    """What was recorded; no customer field (the account is not echoed)."""

    type = serializers.CharField(source="txn_type")
    channel = serializers.CharField()
    description = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    reference = serializers.CharField(source="source_txn_id")


class NonFinancialTransactionView(ChannelView):
    endpoint_name = "non-financial-transaction"

    @extend_schema(
        request=TransactionRequest,
        responses={201: TransactionResponse},
        examples=[
            OpenApiExample(
                "Card activated at the counter",
                value={"account_number": "6222020200112233", "type": "card_activation", "reference": "CTR-88123"},
                request_only=True,
            ),
            OpenApiExample(
                "Recorded",
                value={
                    "type": "card_activation",
                    "channel": "counter",
                    "description": "",
                    "occurred_at": "2026-12-06T09:30:00Z",
                    "reference": "CTR-88123",
                },
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Not the customer's account",
                value={"account_number": ["This is not an account of this customer."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def handle_post(self, request, number):
        customer = self.get_customer(number)
        data = TransactionRequest(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            row = services.record_non_financial_transaction(
                self.channel_client,
                customer,
                account_number=values["account_number"],
                txn_type=values["type"],
                description=values["description"],
                occurred_at=values.get("occurred_at"),
                reference=values["reference"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        except Refused as refused:
            return Response({"detail": str(refused)}, status=409)
        return Response(TransactionResponse(row).data, status=201)
