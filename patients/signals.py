"""A membership's role is mirrored into the Django group of the same name, so permissions follow roles."""

from typing import Any

from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership


@receiver(post_save, sender=Membership)
def _grant_role_group(sender: Any, instance: Membership, **kwargs: Any) -> None:
    group, _ = Group.objects.get_or_create(name=instance.role)
    instance.user.groups.add(group)


@receiver(post_delete, sender=Membership)
def _revoke_role_group(sender: Any, instance: Membership, **kwargs: Any) -> None:
    # The same role may still be held at another institution; keep the group then.
    if not Membership.objects.filter(user_id=instance.user_id, role=instance.role).exists():
        instance.user.groups.remove(*Group.objects.filter(name=instance.role))
