"""Who may do what with an institution's tumour boards. Seeing a meeting at all is the chokepoint's question
(``Meeting.objects.visible_to``: members of the institution, never anyone outside it); these checks add the role
at the meeting's own institution, since model permissions come from role groups that span institutions.

Coordinators manage meetings and agendas and export packets; clinicians read them and record decisions. The
institution's other roles (lab scientists, curators, admins) do not take part in the board: a meeting names
patients and what the board is asked about them, so they are refused (403) though the meeting is theirs.
"""

from typing import Any

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import Role

COORDINATOR_ROLES = frozenset({Role.COORDINATOR})
CLINICIAN_ROLES = frozenset({Role.CLINICIAN})
READER_ROLES = COORDINATOR_ROLES | CLINICIAN_ROLES


def may_read(user: Any, institution_id: int) -> bool:
    return user.has_perm("reports.view_meeting") and has_role_in(user, institution_id, READER_ROLES)


def may_manage(user: Any, institution_id: int) -> bool:
    return user.has_perm("reports.change_meeting") and has_role_in(user, institution_id, COORDINATOR_ROLES)


def may_export(user: Any, institution_id: int) -> bool:
    return user.has_perm("reports.add_packetexport") and has_role_in(user, institution_id, COORDINATOR_ROLES)


def may_decide(user: Any, institution_id: int) -> bool:
    return user.has_perm("reports.add_decision") and has_role_in(user, institution_id, CLINICIAN_ROLES)
