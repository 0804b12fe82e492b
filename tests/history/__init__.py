"""Tests of the tamper-evident history."""
