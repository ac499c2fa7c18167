"""Complaints: receive, acknowledge, analyse, propose, handle, feed back, close, with return visits.

The handbooks are most specific about complaints (P-03, P-04, S-01, S-02, M-05, K-01 … K-06),
and ISO 10002:2018 names the same loop: a receipt with a unique id and the remedy sought,
an immediate acknowledgement, an assessment in proportion to the seriousness, a response, the
decision communicated, the close, and every record kept. :class:`Complaint` runs the whole
loop on the case engine (:mod:`servicekit.engine`) and the SLA engine:

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from servicekit.complaints import Actor, Complaint
>>> t0 = datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> agent = Actor(id="agent-1", roles={"agent"})
>>> specialist = Actor(id="sp-1", roles={"specialist"})
>>> c = Complaint.receive(complaint_id="CP-1", customer_id="C-9", channel="phone",
...                       content="(the complaint)", cause="late delivery", at=t0, by=agent)
>>> c = c.acknowledge(at=t0 + timedelta(hours=1), by=agent)
>>> c = c.analyse(nature="delivery", severity=3, scope="single_customer", urgency="high",
...               at=t0 + timedelta(hours=2), by=specialist)
>>> c.stage, c.severity_band, c.priority
('analysing', 'medium', 'P2')
>>> Complaint.replay(c.history) == c
True

The stages, roles and deadlines are the process's
(:func:`servicekit.presets.processes.complaint_process`); the numbers are the policy's
(:class:`ComplaintPolicy`, the handbook's in
:func:`servicekit.presets.handbook.complaint_policy`). See ``docs/complaints.md``.
"""

from servicekit.complaint_policy import ComplaintPolicy, SeverityBand
from servicekit.complaints._checks import default_complaint_policy, default_complaint_process
from servicekit.complaints._complaint import Complaint
from servicekit.complaints._kind import COMPLAINT, ComplaintRemedy, ReturnVisit
from servicekit.engine import Actor
from servicekit.events import (
    COMPLAINT_EVENT_TYPES,
    ComplaintAcknowledged,
    ComplaintAnalysed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintHandled,
    ComplaintLoopClosed,
    ComplaintReopened,
    ComplaintWithdrawn,
    FeedbackRecorded,
    RemedyOwed,
    ReturnVisitRecorded,
    SolutionProposed,
)

__all__ = [
    "COMPLAINT",
    "COMPLAINT_EVENT_TYPES",
    "Actor",
    "Complaint",
    "ComplaintAcknowledged",
    "ComplaintAnalysed",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintHandled",
    "ComplaintLoopClosed",
    "ComplaintPolicy",
    "ComplaintRemedy",
    "ComplaintReopened",
    "ComplaintWithdrawn",
    "FeedbackRecorded",
    "RemedyOwed",
    "ReturnVisit",
    "ReturnVisitRecorded",
    "SeverityBand",
    "SolutionProposed",
    "default_complaint_policy",
    "default_complaint_process",
]
