from django.urls import path

from shop import views

urlpatterns = [
    path("hello", views.hello),
    path("slow", views.slow),
    path("error", views.error),
    path("items/<int:id>", views.item),
    path("upload", views.upload),
    path("stream", views.stream),
    path("call-backend", views.call_backend),
]
