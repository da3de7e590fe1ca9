"""Benchmarks of Inception Studio, from the core's arithmetic to a slider in a real browser.

``python -m bench`` runs every section and writes one Markdown report (bench/results.md).
"""
