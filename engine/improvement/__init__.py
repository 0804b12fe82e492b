"""Improvement (stage 2) across complaints: corrective tasks given to people and done by them."""
