"""Evidence-based verdicts (draft)."""
