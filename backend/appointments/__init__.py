"""Appointments at an agency's counters: opening hours, slots, bookings, reminders,
arrivals (issue 19)."""
