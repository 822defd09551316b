"""The Retrosheet notice, which must appear in every report computed from Retrosheet data."""

RETROSHEET_NOTICE = (
    "The information used here was obtained free of charge from and is copyrighted by "
    "Retrosheet. Interested parties may contact Retrosheet at www.retrosheet.org."
)
