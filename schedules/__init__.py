"""Scheduled work: briefings at each scope's local morning, outreach sends, delivery retries.

- `timing`: when a briefing is due (local hour in an IANA zone, DST-correct) and whether a late
  run still counts (the grace period).
- `runs`: `JobRun` records (what ran, for what, how it ended).
- `jobs`: the importable job functions (`schedules.jobs:briefing_job`, ...).
- `sync`: the APScheduler jobs made from the `Subscription` rows.
- `scheduler`: the APScheduler 3 scheduler with its job store in the store's database.
- `leader`: one scheduler per database (PostgreSQL advisory lock; SQLite lock file).
"""
