from django.db import models
from django.utils import timezone


class Customer(models.Model):
    # Not unique: /db/transaction creates a customer with the same canary
    # e-mail on every call.
    email = models.CharField(max_length=200)
    name = models.CharField(max_length=100)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    reference = models.CharField(max_length=40)
    total_cents = models.IntegerField()
    created = models.DateTimeField(default=timezone.now)


class Counter(models.Model):
    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)
