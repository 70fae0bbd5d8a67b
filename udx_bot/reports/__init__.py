"""Coordinator reports: the request read from chat or the command line
(udx_bot/reports/report_input.py), the figures from storage/reports.py, and their forms: text,
Markdown, CSV and JSON (report_text.py), charts and PDF (charts.py, chart_text.py)."""
