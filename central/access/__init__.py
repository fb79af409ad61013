"""Who may do what: accounts, sessions, API keys, tenant scope, the audit log, login throttling."""
