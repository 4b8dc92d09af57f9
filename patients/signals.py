"""Signals of the patients app.

A membership's role is mirrored into the Django group of the same name, so permissions follow roles. The demo
signals let higher apps add their own demo content (files, assessments) or remove it before the clinical records
go, without this app importing them.
"""

from typing import Any

from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import Membership

demo_clearing = Signal()  # before seed_demo --force deletes the clinical records
demo_seeded = Signal()  # after the demo cohort is written; kwargs: seed, stdout (an output stream or None)


@receiver(post_save, sender=Membership)
def _grant_role_group(sender: Any, instance: Membership, **kwargs: Any) -> None:
    group, _ = Group.objects.get_or_create(name=instance.role)
    instance.user.groups.add(group)


@receiver(post_delete, sender=Membership)
def _revoke_role_group(sender: Any, instance: Membership, **kwargs: Any) -> None:
    # The same role may still be held at another institution; keep the group then.
    if not Membership.objects.filter(user_id=instance.user_id, role=instance.role).exists():
        instance.user.groups.remove(*Group.objects.filter(name=instance.role))
