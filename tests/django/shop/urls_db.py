"""The URLs of `shop.settings_db`: every route of `shop.urls`, and /db/."""

from django.urls import include, path

from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = [
    *shop_urlpatterns,
    path("db/", include("orders.urls")),
]
