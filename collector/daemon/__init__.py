"""The scheduled collection daemon: schedules, jobs, health and metrics."""
