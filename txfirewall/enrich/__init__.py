"""Enrich: facts about every address a request touches (code, age, labels, token metadata,
the user's history, graph proximity)."""
