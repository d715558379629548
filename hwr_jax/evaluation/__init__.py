"""Metrics and the reports and pictures written from them."""
