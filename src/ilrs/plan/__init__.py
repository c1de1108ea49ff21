"""Autonomous operations: activities planned against the station's resources, checked by
replaying them in the twin, repaired after a fault.

``load_activities`` reads the activity model; ``Horizon.from_twin`` takes the condition
windows and resource profiles from the station twin; ``plan_cpsat`` (OR-Tools CP-SAT) and
``plan_greedy`` place the activities; ``replay`` runs a plan in the twin and reports its
violations; ``repair`` re-plans the rest of a plan after a fault.
"""

from ilrs.plan.model import ActivitySet, ActivityType, load_activities

__all__ = ["ActivitySet", "ActivityType", "load_activities"]
