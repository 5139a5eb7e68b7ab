"""Outreach purposes and their consent basis.

- `care` messages concern treatment the patient already has (transactional consent):
  `next_due` (the next treatment of a cycle is due), `post_treatment` (a check-in two days after
  a filler visit).
- `marketing` messages ask a patient to come back (marketing consent; SMS must carry
  "Reply STOP to opt out"): `win_back` (at-risk patients), `vip_check_in` (top-decile patients
  who have gone quiet).
"""

from __future__ import annotations

from typing import Literal

Purpose = Literal["win_back", "next_due", "post_treatment", "vip_check_in"]
Basis = Literal["care", "marketing"]

PURPOSES: tuple[Purpose, ...] = ("win_back", "next_due", "post_treatment", "vip_check_in")
BASIS: dict[str, Basis] = {
    "win_back": "marketing",
    "vip_check_in": "marketing",
    "next_due": "care",
    "post_treatment": "care",
}


def basis_of(purpose: str) -> Basis:
    try:
        return BASIS[purpose]
    except KeyError:
        raise ValueError(
            f"unknown outreach purpose {purpose!r}; use one of {', '.join(PURPOSES)}"
        ) from None
