"""The registry of record: companies, sites, guards, cards, credentials with their dates, contracts, posts,
shifts and the roster, terminals; the registry as of a day; bulk import."""
