"""People's rights over their data: their archive, their account's deletion (issue 20)."""
