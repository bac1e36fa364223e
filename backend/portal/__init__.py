"""The sync of received dossiers with the National Public Service Portal (issue 18)."""
