"""Roles a user holds in an institution, and what each role may see.

Roles are stored on memberships (patients.Membership) and mirrored into Django groups of the same name,
so model permissions (add / change / view) come from the group and data scope from the membership.
"""

from django.db import models


class Role(models.TextChoices):
    LAB_SCIENTIST = "lab_scientist", "Lab scientist"
    CLINICIAN = "clinician", "Clinician"
    COORDINATOR = "coordinator", "Tumour-board coordinator"
    CURATOR = "curator", "Curator"
    RESEARCHER = "researcher", "Researcher"
    ADMIN = "admin", "Institution admin"


# Researchers read the de-identified registry only; every other role works on its institution's patients.
PATIENT_DATA_ROLES = frozenset(Role) - {Role.RESEARCHER}

# Model permissions each role's group holds, as "app_label.codename". Later apps add their own entries.
_CLINICAL_READ = [
    "patients.view_patient",
    "patients.view_treatmentline",
    "patients.view_sample",
    "patients.view_drug",
    "variants.view_variantfile",
    "variants.view_parserun",
    "rules.view_assessment",
    "reports.view_report",
    "reports.view_reportreview",
]
# Relapse reports: lab scientists draft and submit them; clinicians also review, sign and amend (each action is
# checked again per institution by has_role_in).
_REPORT_WRITE = ["reports.add_report", "reports.change_report"]
# Who may upload variant files for an institution's samples (checked per institution by has_role_in).
UPLOADER_ROLES = frozenset({Role.LAB_SCIENTIST, Role.ADMIN})
# Tumour boards (checked per institution by has_role_in): clinicians read meetings and record decisions;
# coordinators manage meetings and their agendas and export packets.
_BOARD_READ = ["reports.view_meeting", "reports.view_agendaitem", "reports.view_packetexport", "reports.view_decision"]
_BOARD_MANAGE = [
    "reports.add_meeting",
    "reports.change_meeting",
    "reports.add_agendaitem",
    "reports.change_agendaitem",
    "reports.delete_agendaitem",
    "reports.add_packetexport",
]
# The de-identified registry: researchers, and the clinical roles that act on its findings (curators also read
# the learning loop against the knowledge base).
_REGISTRY_READ = ["cohort.view_registry"]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.LAB_SCIENTIST: [
        *_CLINICAL_READ,
        *_REPORT_WRITE,
        "patients.add_sample",
        "patients.change_sample",
        "variants.add_variantfile",
    ],
    Role.CLINICIAN: [
        *_CLINICAL_READ,
        *_REPORT_WRITE,
        "patients.add_treatmentline",
        "patients.change_treatmentline",
        *_BOARD_READ,
        "reports.add_decision",
        "reports.change_decision",
        *_REGISTRY_READ,
    ],
    Role.COORDINATOR: [*_CLINICAL_READ, *_BOARD_READ, *_BOARD_MANAGE],
    Role.CURATOR: [
        *_CLINICAL_READ,
        "rules.add_knowledgebaserelease",
        "rules.change_knowledgebaserelease",
        "rules.view_knowledgebaserelease",
        "rules.activate_knowledgebaserelease",
        *_REGISTRY_READ,
        "cohort.view_learning_loop",
    ],
    Role.RESEARCHER: _REGISTRY_READ,
    Role.ADMIN: [
        *_CLINICAL_READ,
        "patients.view_institution",
        "patients.add_patient",
        "patients.change_patient",
        "patients.add_treatmentline",
        "patients.change_treatmentline",
        "patients.add_sample",
        "patients.change_sample",
        "variants.add_variantfile",
        "patients.view_membership",
        "crbn_portal.view_auditevent",
        *_REGISTRY_READ,
    ],
}


def sync_role_groups(*, using: str = "default", **kwargs: object) -> None:
    """Create one group per role holding exactly its permissions (run after every migrate)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # post_migrate runs app by app; make sure every app's permissions exist before assigning them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=str(role))
        wanted = [name.split(".", 1) for name in names]
        query = models.Q(pk__in=[])
        for app_label, codename in wanted:
            query |= models.Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.using(using).filter(query).select_related("content_type"))
        missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise LookupError(f"Role {role} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)
