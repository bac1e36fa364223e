"""Dossiers: submission, attachments, the legal lifecycle, deadlines and tracking."""
