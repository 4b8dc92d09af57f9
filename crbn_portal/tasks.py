"""The health task: proves a message goes through the broker to a worker and back."""

import socket

from celery import shared_task


@shared_task(name="crbn_portal.health")
def health(token: str) -> dict[str, str]:
    return {"token": token, "worker": socket.gethostname()}
