"""Software upgrades scheduled by governance: plans, halts at their height, module migrations."""
