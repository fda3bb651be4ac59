"""A living demo company for a newcomer: `make demo` (or `uv run python -m demo`) fills a
running system, through the REST API as its users would, with an advertising agency's staff,
customers in several regions (Chinese and English names), portal customers with orders at
every step of the workflow, leads, a catalogue with a price list and a lead form, a segment, a
draft campaign to it, the agency's partner workshops and service cases. Running it again finds
what it made and adds nothing twice."""
