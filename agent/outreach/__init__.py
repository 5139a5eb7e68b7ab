"""Outreach with a human in the loop: eligibility → draft → policy → approval → schedule → send.

Modules, one job each: `segments` (SMS length), `quiet_hours` (send windows), `policy` (content
rules), `eligibility` (who may be drafted), `candidates` (who is due, per purpose), `writers`
(template and LLM drafting with placeholders), `delivery` (send once, reconcile), `graph` (the
LangGraph flow with `interrupt()` for approval), `checkpoint` (the persistent checkpointer).
"""
