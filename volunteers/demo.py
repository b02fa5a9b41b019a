"""Demo volunteers for ``manage.py seed_demo``."""

from __future__ import annotations

from accounts.demo import DemoWorld
from volunteers.models import NetworkMembership, VolunteerProfile


def seed_volunteers(world: DemoWorld) -> None:
    profile = VolunteerProfile.objects.create(user=world.volunteer)
    NetworkMembership.objects.create(volunteer=profile, network=world.charity_a, status=NetworkMembership.Status.ACTIVE)
