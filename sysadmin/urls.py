
app_name = "sysadmin"

urlpatterns: list = []
