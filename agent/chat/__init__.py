"""Manager chat: an intent router that answers without a model, and a tool-calling agent."""
