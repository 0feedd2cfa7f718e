"""The task pages (lists, board, detail)."""

urlpatterns = []
