"""HTTP plumbing shared by every domain: templates, i18n, assets, headers, logging, errors."""
