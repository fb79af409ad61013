"""Attendance: rostered duties against taps (late, early leave, absent, overnight), boards, calendars, timesheets."""
