from django.urls import path

from orders import views

urlpatterns = [
    path("one", views.one),
    path("ten", views.ten),
    path("n-plus-one", views.n_plus_one),
    path("transaction", views.create_order),
    path("error", views.error),
    path("cached", views.cached),
]
