"""Intake: registering appeals from every channel — staff, the site form, ratings and e-mail."""
