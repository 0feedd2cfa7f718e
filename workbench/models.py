"""The models of every workbench area, gathered for Django and the migrations.

Each model lives in its area's models.py; import it from there in new code.
"""

from workbench.messaging.models import Conversation, Message, Participant
from workbench.todo.models import Task

__all__ = ["Task", "Conversation", "Participant", "Message"]
