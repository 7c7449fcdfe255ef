"""Tests of the transaction gateway: envelope, field rules, signature."""
