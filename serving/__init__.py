"""Clients of pushed models: scoring, two-stage recommendation, serving-time drift checks."""
