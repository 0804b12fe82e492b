"""The tamper-evident history: one hash chain per instance, event data sealed with a per-case key.

`chain` is the pure recipe (what is hashed and how links are checked), `vault` seals, opens and shreds
event data, `writer` appends an event to its instance's chain, `verify` checks the database or an export,
`export` builds one complaint's history for an auditor, `use_cases` are what the front door calls.
"""
