"""The game day: live slates, results intake, grading and the daily loop over the sources."""
