"""Voronka's analytics core: store, filters, metrics, demo data, report and CLI (no Streamlit)."""
