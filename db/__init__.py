"""Persistence: the ledger's models, engine set-up and the trade-history queries."""
