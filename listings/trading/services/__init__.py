"""Trading services: one module per subject (lifecycle, editing, rules, attachments, open licence)."""
