"""Writers turn a ranked outline into a `WrittenBriefing`: the template writer (default, no
model) and the LLM writer (same structure, prose from a chat model, numbers still from facts)."""
