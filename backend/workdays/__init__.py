"""The working-day calendar: weekends, public holidays and swapped working days (làm bù).

Deadlines of dossiers are counted in working days; what counts is data that an
administrator edits, seeded from the government's announcements."""
