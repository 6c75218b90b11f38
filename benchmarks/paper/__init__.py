"""Replications of the seed paper's experiments (Li & Mandt 2018); see README.md here."""
