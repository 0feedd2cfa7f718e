"""The gateways' callbacks (no log-in; authenticated by the gateway's signature): delivery
reports and inbound messages (STOP). A bad or stale signature, or a callback already
accepted (a replay), is refused with 403 and changes nothing."""

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ocrm.outbox import services
from ocrm.outbox.models import Gateway


def _gateway(gateway_id):
    gateway = Gateway.objects.filter(pk=gateway_id, is_active=True).exclude(secret="").first()
    if gateway is None:
        raise Http404
    return gateway


@csrf_exempt
@require_POST
def delivery_report(request, gateway_id):
    gateway = _gateway(gateway_id)
    try:
        moved = services.delivery_report(gateway, request.headers, request.body)
    except services.CallbackRefused as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    return JsonResponse({"ok": True, "moved": moved})


@csrf_exempt
@require_POST
def inbound(request, gateway_id):
    gateway = _gateway(gateway_id)
    try:
        stop = services.inbound_message(gateway, request.headers, request.body)
    except services.CallbackRefused as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    return JsonResponse({"ok": True, "stop": stop})
