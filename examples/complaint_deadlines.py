"""Complaint deadlines S-01 and S-02 in business hours on China's working calendar.

A host receives complaints from its own storage; servicekit computes when each is due. Here, a
few complaints received in the days before National Day 2026: the 4-hour first response (S-01)
and the 24-hour preliminary solution (S-02), and whether each answer was on time.

Run: python examples/complaint_deadlines.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from servicekit.calendar import BusinessCalendar

SH = ZoneInfo("Asia/Shanghai")
S01_FIRST_RESPONSE = timedelta(hours=4)  # rules catalog S-01 (H4 §1.3.1)
S02_PRELIMINARY_SOLUTION = timedelta(hours=24)  # rules catalog S-02 (H4 §1.3.1)

# (complaint id, received, first response sent); times as a host would load them
COMPLAINTS = [
    ("C-101", datetime(2026, 9, 29, 10, 0, tzinfo=SH), datetime(2026, 9, 29, 13, 30, tzinfo=SH)),
    ("C-102", datetime(2026, 9, 30, 16, 30, tzinfo=SH), datetime(2026, 10, 8, 9, 40, tzinfo=SH)),
    ("C-103", datetime(2026, 9, 30, 21, 5, tzinfo=SH), datetime(2026, 10, 8, 14, 0, tzinfo=SH)),
]


def main() -> list[tuple[str, datetime, datetime, bool]]:
    cal = BusinessCalendar.china(hours="09:00-12:00,13:00-18:00")
    rows = []
    for complaint_id, received, answered in COMPLAINTS:
        response_due = cal.add(received, S01_FIRST_RESPONSE)
        solution_due = cal.add(received, S02_PRELIMINARY_SOLUTION)
        on_time = cal.elapsed(received, answered) <= S01_FIRST_RESPONSE
        rows.append((complaint_id, response_due, solution_due, on_time))
        print(
            f"{complaint_id}: received {received:%m-%d %H:%M}, "
            f"S-01 due {response_due:%m-%d %H:%M} ({'met' if on_time else 'breached'}), "
            f"S-02 due {solution_due:%a %m-%d %H:%M}"
        )
    return rows


if __name__ == "__main__":
    main()
