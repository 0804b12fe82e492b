"""QMS control (REQUIREMENTS §8): the weekly review, the monthly report, KPIs, exports and their cron jobs."""
