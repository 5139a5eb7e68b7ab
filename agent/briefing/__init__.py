"""The daily briefing graph and everything only it uses (see `agent.briefing.graph`).

Kept import-free so `import agent.briefing.state` does not load LangGraph or the tools.
"""
