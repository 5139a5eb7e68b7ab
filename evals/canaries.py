"""Canary PHI: values planted in eval inputs that must never reach a prompt, a draft template
or a briefing (a patient's name may appear only in the final, filled message to that patient).
"""

from __future__ import annotations

CANARY_NAME = "Zebulon Quackenbush"
CANARY_PHONE = "+15550100199"
CANARY_EMAIL = "zebulon.canary@example.invalid"
CANARIES: tuple[str, ...] = (CANARY_NAME, "Quackenbush", CANARY_PHONE, "555-0100-199", CANARY_EMAIL)
